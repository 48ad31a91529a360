"""The three-way merge of a draft onto a teammate's version."""

from __future__ import annotations

import copy
from typing import Any

from integrations.merge import merge_contents


def content(**read_settings: Any) -> dict[str, Any]:
    account = {
        "objectName": "account",
        "destination": "defaultWebhook",
        "schedule": "*/30 * * * *",
        "requiredFields": [{"fieldName": "Id"}, {"fieldName": "Name", "mapToName": "name"}],
        "optionalFields": [{"mapToName": "industry", "default": "Industry"}],
        **read_settings,
    }
    contact = {"objectName": "contact", "destination": "defaultWebhook", "requiredFields": []}
    return {
        "name": "crm",
        "provider": "salesforce",
        "displayName": "CRM",
        "read": {"objects": [account, contact]},
        "x-unknown": {"kept": True},
    }


def test_changes_to_different_settings_merge_without_conflict():
    base = content()
    remote = content(schedule="0 * * * *")
    mine = content(backfill={"defaultPeriod": {"days": 30}})
    mine["displayName"] = "CRM sync"

    merge = merge_contents(base, remote, mine)

    assert merge.conflicts == []
    account = merge.content["read"]["objects"][0]
    assert account["schedule"] == "0 * * * *"
    assert account["backfill"] == {"defaultPeriod": {"days": 30}}
    assert merge.content["displayName"] == "CRM sync"
    assert merge.content["x-unknown"] == {"kept": True}


def test_the_same_setting_changed_differently_is_a_conflict_kept_mine_by_default():
    base = content()
    remote = content(schedule="0 * * * *")
    mine = content(schedule="0 0 * * *")

    merge = merge_contents(base, remote, mine)

    assert [conflict.label for conflict in merge.conflicts] == ["read.account.schedule"]
    conflict = merge.conflicts[0]
    assert (conflict.base, conflict.remote, conflict.mine) == (
        "*/30 * * * *",
        "0 * * * *",
        "0 0 * * *",
    )
    assert merge.content["read"]["objects"][0]["schedule"] == "0 0 * * *"


def test_a_conflict_chosen_for_theirs_takes_their_value():
    base, remote, mine = content(), content(schedule="0 * * * *"), content(schedule="0 0 * * *")
    key = merge_contents(base, remote, mine).conflicts[0].key

    merge = merge_contents(base, remote, mine, take_remote=[key])

    assert merge.content["read"]["objects"][0]["schedule"] == "0 * * * *"


def test_the_same_change_on_both_sides_is_no_conflict():
    base, remote, mine = content(), content(schedule="0 * * * *"), content(schedule="0 * * * *")

    merge = merge_contents(base, remote, mine)

    assert merge.conflicts == []
    assert merge.content == remote


def test_fields_added_on_each_side_are_both_kept():
    base = content()
    remote, mine = copy.deepcopy(base), copy.deepcopy(base)
    remote["read"]["objects"][0]["requiredFields"].append({"fieldName": "Phone"})
    mine["read"]["objects"][0]["requiredFields"].append({"fieldName": "Website"})

    merge = merge_contents(base, remote, mine)

    assert merge.conflicts == []
    names = [f.get("fieldName") for f in merge.content["read"]["objects"][0]["requiredFields"]]
    assert names == ["Id", "Name", "Website", "Phone"]


def test_a_field_remapped_on_both_sides_conflicts_by_its_path():
    base = content()
    remote, mine = copy.deepcopy(base), copy.deepcopy(base)
    remote["read"]["objects"][0]["requiredFields"][1]["mapToName"] = "accountName"
    mine["read"]["objects"][0]["requiredFields"][1]["mapToName"] = "title"

    merge = merge_contents(base, remote, mine)

    assert [conflict.label for conflict in merge.conflicts] == ["read.account.fields.fields.Name"]


def test_an_object_they_removed_while_i_changed_it_is_a_conflict():
    base = content()
    remote = copy.deepcopy(base)
    del remote["read"]["objects"][0]
    mine = content(schedule="0 0 * * *")

    merge = merge_contents(base, remote, mine)

    assert [conflict.label for conflict in merge.conflicts] == ["read.account"]
    assert merge.content["read"]["objects"][0]["objectName"] == "account"
    chosen = merge_contents(base, remote, mine, take_remote=[merge.conflicts[0].key])
    assert [obj["objectName"] for obj in chosen.content["read"]["objects"]] == ["contact"]


def test_an_object_they_added_is_merged_in():
    base = content()
    remote = copy.deepcopy(base)
    remote["read"]["objects"].append({"objectName": "lead", "destination": "defaultWebhook"})
    mine = content(schedule="0 0 * * *")

    merge = merge_contents(base, remote, mine)

    assert merge.conflicts == []
    assert [o["objectName"] for o in merge.content["read"]["objects"]] == [
        "account",
        "contact",
        "lead",
    ]


def test_malformed_content_never_raises():
    merge = merge_contents({"read": "odd"}, {"read": {"objects": [1, None]}}, {"read": []})

    assert len(merge.conflicts) == 1

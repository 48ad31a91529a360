"""Hand-written catalog behind the emulator's demo data: providers, their objects and fields,
the integrations a builder would plausibly define for them, destinations and customers.

Field names follow each provider's real API. Names starting with `$[` are JSONPath field names
for nested values, which the demo always maps to a flat `mapToName`.
"""

from __future__ import annotations

from dataclasses import dataclass

# What an integration of a use case does; `emulator/demo_builder.py` turns each into content.
SYNC = "sync"  # scheduled reads of fixed fields, renamed fields, backfill in days
MAPPING = "mapping"  # user-picked field mappings, all optional fields, full-history backfill
EVENTS = "events"  # reads plus subscribe events
WRITEBACK = "writeback"  # reads plus writes back to the provider, proxy through the module
SCHEMA_WATCH = "schemaWatch"  # reads plus provider schema watching
PROXY = "proxy"  # proxy calls only


@dataclass(frozen=True)
class UserMapping:
    """A concept the user maps to one of their fields while installing."""

    map_to_name: str
    map_to_display_name: str
    prompt: str
    default: str


@dataclass(frozen=True)
class CatalogObject:
    name: str
    display_name: str
    map_to_name: str
    map_to_display_name: str
    fields: tuple[str, ...]
    # How many leading fields are the record's identity, always read.
    key_fields: int = 1
    mappings: tuple[UserMapping, ...] = ()


@dataclass(frozen=True)
class UseCase:
    suffix: str
    display_suffix: str
    kind: str


@dataclass(frozen=True)
class Provider:
    name: str
    display_name: str
    slug: str
    objects: tuple[CatalogObject, ...]
    use_cases: tuple[UseCase, ...]
    custom_field: str  # `{n}` is a number, `{hash}` a 40-character hex id
    custom_object: str
    base_fields: tuple[str, ...]  # the fields of a custom object before its custom fields
    destination: str
    module: str = ""
    auth_scheme: str = "oauth2/authorizationCode"
    workspace_ref: str = "subdomain"  # subdomain | portal | none


def _fields(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SALESFORCE = Provider(
    name="salesforce",
    display_name="Salesforce",
    slug="salesforce",
    module="crm",
    destination="crmWebhook",
    custom_field="Custom_Field_{n}__c",
    custom_object="Custom_Object_{n}__c",
    base_fields=_fields("Name OwnerId CreatedDate LastModifiedDate"),
    objects=(
        CatalogObject(
            "account",
            "Account",
            "company",
            "Company",
            _fields(
                "Name Type Industry Website Phone BillingStreet BillingCity BillingState "
                "BillingPostalCode BillingCountry ShippingCity ShippingCountry AnnualRevenue "
                "NumberOfEmployees OwnerId ParentId Rating AccountSource Description "
                "CreatedDate LastModifiedDate"
            ),
            mappings=(
                UserMapping(
                    "segment",
                    "Customer segment",
                    "Which field holds the customer segment?",
                    "Type",
                ),
                UserMapping(
                    "arr",
                    "Annual recurring revenue",
                    "Which field holds annual recurring revenue?",
                    "AnnualRevenue",
                ),
            ),
        ),
        CatalogObject(
            "contact",
            "Contact",
            "person",
            "Person",
            _fields(
                "Email FirstName LastName Phone MobilePhone Title Department AccountId OwnerId "
                "MailingStreet MailingCity MailingState MailingPostalCode MailingCountry "
                "LeadSource Birthdate HasOptedOutOfEmail DoNotCall CreatedDate LastModifiedDate"
            ),
            key_fields=3,
            mappings=(
                UserMapping(
                    "jobTitle", "Job title", "Which field holds the contact's job title?", "Title"
                ),
            ),
        ),
        CatalogObject(
            "opportunity",
            "Opportunity",
            "deal",
            "Deal",
            _fields(
                "Name StageName Amount CloseDate Probability AccountId OwnerId Type LeadSource "
                "NextStep ForecastCategoryName IsClosed IsWon ExpectedRevenue CampaignId "
                "Description CreatedDate LastModifiedDate"
            ),
            key_fields=3,
            mappings=(
                UserMapping(
                    "dealStage", "Deal stage", "Which field tracks the deal stage?", "StageName"
                ),
            ),
        ),
        CatalogObject(
            "lead",
            "Lead",
            "prospect",
            "Prospect",
            _fields(
                "Email FirstName LastName Company Phone Title Status LeadSource Industry Rating "
                "AnnualRevenue NumberOfEmployees City State Country IsConverted "
                "ConvertedAccountId ConvertedContactId OwnerId CreatedDate"
            ),
            key_fields=2,
            mappings=(
                UserMapping(
                    "leadScore", "Lead score", "Which field holds the lead score?", "Rating"
                ),
            ),
        ),
        CatalogObject(
            "case",
            "Case",
            "ticket",
            "Ticket",
            _fields(
                "Subject Status Priority Origin Type Reason AccountId ContactId OwnerId "
                "Description IsClosed ClosedDate CreatedDate"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "task",
            "Task",
            "activity",
            "Activity",
            _fields(
                "Subject Status Priority ActivityDate WhoId WhatId OwnerId Type Description "
                "CallDurationInSeconds CallType"
            ),
        ),
    ),
    use_cases=(
        UseCase("crm-sync", "CRM sync", SYNC),
        UseCase("pipeline-events", "pipeline events", EVENTS),
        UseCase("schema-watch", "schema watch", SCHEMA_WATCH),
        UseCase("lead-writeback", "lead write-back", WRITEBACK),
        UseCase("field-mapping", "field mapping", MAPPING),
    ),
)

HUBSPOT = Provider(
    name="hubspot",
    display_name="HubSpot",
    slug="hubspot",
    module="crm",
    destination="crmWebhook",
    custom_field="custom_property_{n}",
    custom_object="p_custom_object_{n}",
    base_fields=_fields("hs_object_id hubspot_owner_id createdate hs_lastmodifieddate"),
    workspace_ref="portal",
    objects=(
        CatalogObject(
            "contacts",
            "Contacts",
            "person",
            "Person",
            _fields(
                "email firstname lastname phone mobilephone jobtitle company website "
                "lifecyclestage hs_lead_status hubspot_owner_id city state country zip "
                "hs_analytics_source associatedcompanyid createdate lastmodifieddate"
            ),
            key_fields=3,
            mappings=(
                UserMapping(
                    "lifecycleStage",
                    "Lifecycle stage",
                    "Which property holds the lifecycle stage?",
                    "lifecyclestage",
                ),
            ),
        ),
        CatalogObject(
            "companies",
            "Companies",
            "company",
            "Company",
            _fields(
                "name domain industry phone city state country numberofemployees "
                "annualrevenue lifecyclestage hubspot_owner_id description website createdate "
                "hs_lastmodifieddate"
            ),
            key_fields=2,
            mappings=(
                UserMapping(
                    "segment",
                    "Customer segment",
                    "Which property holds the customer segment?",
                    "industry",
                ),
            ),
        ),
        CatalogObject(
            "deals",
            "Deals",
            "deal",
            "Deal",
            _fields(
                "dealname amount dealstage pipeline closedate hubspot_owner_id dealtype "
                "hs_priority description hs_forecast_probability num_associated_contacts "
                "createdate hs_lastmodifieddate"
            ),
            key_fields=3,
            mappings=(
                UserMapping(
                    "dealStage", "Deal stage", "Which property tracks the deal stage?", "dealstage"
                ),
            ),
        ),
        CatalogObject(
            "tickets",
            "Tickets",
            "ticket",
            "Ticket",
            _fields(
                "subject content hs_pipeline hs_pipeline_stage hs_ticket_priority "
                "hs_ticket_category hubspot_owner_id source_type closed_date createdate "
                "hs_lastmodifieddate"
            ),
            key_fields=2,
        ),
    ),
    use_cases=(
        UseCase("contact-mapping", "contact mapping", MAPPING),
        UseCase("deal-events", "deal events", EVENTS),
        UseCase("crm-writeback", "CRM write-back", WRITEBACK),
        UseCase("schema-watch", "schema watch", SCHEMA_WATCH),
        UseCase("crm-sync", "CRM sync", SYNC),
    ),
)

ZENDESK_SUPPORT = Provider(
    name="zendeskSupport",
    display_name="Zendesk Support",
    slug="zendesk-support",
    destination="supportWebhook",
    custom_field="custom_field_{n}",
    custom_object="custom_object_{n}",
    base_fields=_fields("id name created_at updated_at"),
    objects=(
        CatalogObject(
            "tickets",
            "Tickets",
            "ticket",
            "Ticket",
            _fields(
                "id subject description status priority type requester_id assignee_id "
                "organization_id group_id tags due_at $['via']['channel'] "
                "$['satisfaction_rating']['score'] created_at updated_at"
            ),
            key_fields=2,
            mappings=(
                UserMapping(
                    "plan", "Plan", "Which ticket field holds the customer's plan?", "type"
                ),
            ),
        ),
        CatalogObject(
            "users",
            "Users",
            "person",
            "Person",
            _fields(
                "id name email phone role organization_id time_zone locale verified suspended "
                "$['photo']['content_url'] $['user_fields']['plan'] created_at updated_at "
                "last_login_at"
            ),
            key_fields=3,
        ),
        CatalogObject(
            "organizations",
            "Organizations",
            "company",
            "Company",
            _fields(
                "id name domain_names details notes group_id shared_tickets tags "
                "$['organization_fields']['tier'] created_at updated_at"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "satisfaction_ratings",
            "Satisfaction ratings",
            "rating",
            "Rating",
            _fields("id score comment reason ticket_id assignee_id requester_id created_at"),
        ),
    ),
    use_cases=(
        UseCase("ticket-sync", "ticket sync", SYNC),
        UseCase("api-proxy", "API proxy", PROXY),
        UseCase("csat-mapping", "CSAT mapping", MAPPING),
    ),
)

PIPEDRIVE = Provider(
    name="pipedrive",
    display_name="Pipedrive",
    slug="pipedrive",
    destination="crmWebhook",
    custom_field="{hash}",
    custom_object="custom_object_{n}",
    base_fields=_fields("id name owner_id add_time update_time"),
    objects=(
        CatalogObject(
            "deals",
            "Deals",
            "deal",
            "Deal",
            _fields(
                "id title value currency status stage_id pipeline_id user_id person_id org_id "
                "expected_close_date probability won_time lost_reason add_time update_time"
            ),
            key_fields=2,
            mappings=(
                UserMapping(
                    "dealSource",
                    "Deal source",
                    "Which field records where the deal came from?",
                    "lost_reason",
                ),
            ),
        ),
        CatalogObject(
            "persons",
            "Persons",
            "person",
            "Person",
            _fields(
                "id name first_name last_name email phone org_id owner_id label add_time "
                "update_time"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "organizations",
            "Organizations",
            "company",
            "Company",
            _fields(
                "id name address owner_id people_count open_deals_count label add_time update_time"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "activities",
            "Activities",
            "activity",
            "Activity",
            _fields(
                "id subject type due_date due_time duration done deal_id person_id org_id "
                "user_id note add_time"
            ),
        ),
    ),
    use_cases=(
        UseCase("deal-sync", "deal sync", WRITEBACK),
        UseCase("contact-mapping", "contact mapping", MAPPING),
        UseCase("activity-sync", "activity sync", SYNC),
    ),
)

INTERCOM = Provider(
    name="intercom",
    display_name="Intercom",
    slug="intercom",
    destination="supportWebhook",
    custom_field="$['custom_attributes']['custom_attribute_{n}']",
    custom_object="custom_object_{n}",
    base_fields=_fields("id name created_at updated_at"),
    workspace_ref="none",
    objects=(
        CatalogObject(
            "contacts",
            "Contacts",
            "person",
            "Person",
            _fields(
                "id email role name phone external_id owner_id signed_up_at last_seen_at "
                "unsubscribed_from_emails $['location']['city'] $['location']['country'] "
                "$['custom_attributes']['plan'] created_at updated_at"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "conversations",
            "Conversations",
            "conversation",
            "Conversation",
            _fields(
                "id title state priority open read waiting_since snoozed_until "
                "admin_assignee_id team_assignee_id $['source']['delivered_as'] "
                "$['statistics']['first_admin_reply_at'] $['conversation_rating']['rating'] "
                "created_at updated_at"
            ),
        ),
        CatalogObject(
            "companies",
            "Companies",
            "company",
            "Company",
            _fields(
                "id company_id name plan size website industry monthly_spend session_count "
                "user_count created_at updated_at"
            ),
            key_fields=2,
            mappings=(
                UserMapping(
                    "mrr",
                    "Monthly revenue",
                    "Which attribute holds monthly revenue?",
                    "monthly_spend",
                ),
            ),
        ),
    ),
    use_cases=(
        UseCase("conversation-sync", "conversation sync", SYNC),
        UseCase("api-proxy", "API proxy", PROXY),
        UseCase("company-mapping", "company mapping", MAPPING),
    ),
)

MARKETO = Provider(
    name="marketo",
    display_name="Marketo",
    slug="marketo",
    destination="defaultWebhook",
    auth_scheme="oauth2/clientCredentials",
    custom_field="customField{n}",
    custom_object="customObject{n}_c",
    base_fields=_fields("id createdAt updatedAt"),
    objects=(
        CatalogObject(
            "leads",
            "Leads",
            "prospect",
            "Prospect",
            _fields(
                "id email firstName lastName company title phone leadScore leadStatus "
                "leadSource industry city state country unsubscribed createdAt updatedAt"
            ),
            key_fields=2,
            mappings=(
                UserMapping(
                    "leadScore", "Lead score", "Which field holds the lead score?", "leadScore"
                ),
            ),
        ),
        CatalogObject(
            "programs",
            "Programs",
            "program",
            "Program",
            _fields("id name description type channel status workspace url createdAt updatedAt"),
            key_fields=2,
        ),
        CatalogObject(
            "campaigns",
            "Campaigns",
            "campaign",
            "Campaign",
            _fields(
                "id name description type programId programName workspace active createdAt "
                "updatedAt"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "activities",
            "Activities",
            "activity",
            "Activity",
            _fields(
                "id leadId activityDate activityTypeId campaignId primaryAttributeValue "
                "primaryAttributeValueId"
            ),
        ),
    ),
    use_cases=(
        UseCase("lead-scoring", "lead scoring", MAPPING),
        UseCase("campaign-sync", "campaign sync", SYNC),
    ),
)

GONG = Provider(
    name="gong",
    display_name="Gong",
    slug="gong",
    destination="defaultWebhook",
    custom_field="customField{n}",
    custom_object="customObject{n}",
    base_fields=_fields("id created updated"),
    workspace_ref="none",
    objects=(
        CatalogObject(
            "calls",
            "Calls",
            "call",
            "Call",
            _fields(
                "id title scheduled started duration direction scope system language url "
                "primaryUserId workspaceId meetingUrl isPrivate media"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "users",
            "Users",
            "person",
            "Person",
            _fields(
                "id emailAddress firstName lastName title phoneNumber managerId active created"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "scorecards",
            "Scorecards",
            "scorecard",
            "Scorecard",
            _fields(
                "scorecardId scorecardName workspaceId enabled updaterUserId created updated "
                "reviewMethod"
            ),
        ),
    ),
    use_cases=(
        UseCase("call-insights", "call insights", SYNC),
        UseCase("api-proxy", "API proxy", PROXY),
    ),
)

ZOHO = Provider(
    name="zoho",
    display_name="Zoho CRM",
    slug="zoho",
    destination="crmWebhook",
    custom_field="Custom_Field_{n}",
    custom_object="Custom_Module_{n}",
    base_fields=_fields("id Name Owner Created_Time Modified_Time"),
    workspace_ref="none",
    objects=(
        CatalogObject(
            "Leads",
            "Leads",
            "prospect",
            "Prospect",
            _fields(
                "id Email First_Name Last_Name Company Lead_Source Lead_Status Phone Industry "
                "Annual_Revenue No_of_Employees Owner City State Country Created_Time "
                "Modified_Time"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "Contacts",
            "Contacts",
            "person",
            "Person",
            _fields(
                "id Email First_Name Last_Name Phone Mobile Title Department Account_Name "
                "Owner Mailing_City Mailing_Country Created_Time Modified_Time"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "Accounts",
            "Accounts",
            "company",
            "Company",
            _fields(
                "id Account_Name Website Industry Annual_Revenue Employees Account_Type Owner "
                "Billing_City Billing_Country Created_Time Modified_Time"
            ),
            key_fields=2,
            mappings=(
                UserMapping(
                    "segment",
                    "Customer segment",
                    "Which field holds the customer segment?",
                    "Account_Type",
                ),
            ),
        ),
        CatalogObject(
            "Deals",
            "Deals",
            "deal",
            "Deal",
            _fields(
                "id Deal_Name Amount Stage Closing_Date Probability Account_Name Contact_Name "
                "Owner Lead_Source Type Created_Time Modified_Time"
            ),
            key_fields=2,
        ),
    ),
    use_cases=(
        UseCase("crm-sync", "sync", SYNC),
        UseCase("deal-writeback", "deal write-back", WRITEBACK),
    ),
)

ATTIO = Provider(
    name="attio",
    display_name="Attio",
    slug="attio",
    destination="crmWebhook",
    custom_field="custom_attribute_{n}",
    custom_object="custom_object_{n}",
    base_fields=_fields("record_id name created_at created_by"),
    workspace_ref="none",
    objects=(
        CatalogObject(
            "people",
            "People",
            "person",
            "Person",
            _fields(
                "record_id name email_addresses phone_numbers job_title company "
                "primary_location description avatar_url linkedin twitter "
                "last_email_interaction created_at created_by"
            ),
            key_fields=2,
            mappings=(
                UserMapping(
                    "jobTitle",
                    "Job title",
                    "Which attribute holds the person's role?",
                    "job_title",
                ),
            ),
        ),
        CatalogObject(
            "companies",
            "Companies",
            "company",
            "Company",
            _fields(
                "record_id name domains description team categories primary_location "
                "employee_range estimated_arr_usd funding_raised_usd foundation_date linkedin "
                "created_at"
            ),
            key_fields=2,
        ),
        CatalogObject(
            "deals",
            "Deals",
            "deal",
            "Deal",
            _fields(
                "record_id name stage owner value associated_people associated_company "
                "created_at created_by"
            ),
            key_fields=2,
        ),
    ),
    use_cases=(
        UseCase("people-mapping", "people mapping", MAPPING),
        UseCase("deal-writeback", "deal write-back", WRITEBACK),
    ),
)

NOTION = Provider(
    name="notion",
    display_name="Notion",
    slug="notion",
    destination="defaultWebhook",
    custom_field="$['properties']['Property {n}']",
    custom_object="custom_object_{n}",
    base_fields=_fields("id created_time last_edited_time"),
    workspace_ref="none",
    objects=(
        CatalogObject(
            "pages",
            "Pages",
            "document",
            "Document",
            _fields(
                "id url public_url archived in_trash icon cover $['parent']['database_id'] "
                "$['created_by']['id'] created_time last_edited_time"
            ),
        ),
        CatalogObject(
            "databases",
            "Databases",
            "table",
            "Table",
            _fields(
                "id title description url is_inline archived $['parent']['page_id'] "
                "created_time last_edited_time"
            ),
        ),
        CatalogObject(
            "users",
            "Users",
            "person",
            "Person",
            _fields(
                "id object type name avatar_url $['person']['email'] $['bot']['workspace_name']"
            ),
        ),
    ),
    # The provider catalog gives Notion proxy support only.
    use_cases=(
        UseCase("workspace-proxy", "workspace proxy", PROXY),
        UseCase("content-proxy", "content proxy", PROXY),
    ),
)

# The order matters: the default 24 integrations take each provider's first use case, then each
# provider's second, and so on, which covers every feature of the manifest.
PROVIDERS: tuple[Provider, ...] = (
    SALESFORCE,
    HUBSPOT,
    ZENDESK_SUPPORT,
    PIPEDRIVE,
    INTERCOM,
    MARKETO,
    GONG,
    ZOHO,
    ATTIO,
    NOTION,
)

# Fields each provider's objects have beyond those the demo integrations read, so that a field
# picker (getObjectMetadataForConnection) offers fields an integration does not use yet.
EXTRA_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("salesforce", "account"): _fields("AccountNumber Site TickerSymbol Ownership Sic Fax"),
    ("salesforce", "contact"): _fields(
        "AssistantName AssistantPhone ReportsToId OtherCity EmailBouncedDate"
    ),
    ("salesforce", "opportunity"): _fields(
        "TotalOpportunityQuantity HasOpenActivity FiscalQuarter FiscalYear Pricebook2Id"
    ),
    ("salesforce", "lead"): _fields("Website Street PostalCode MobilePhone HasOptedOutOfEmail"),
    ("salesforce", "case"): _fields("CaseNumber SuppliedEmail SuppliedName IsEscalated ParentId"),
    ("salesforce", "task"): _fields("IsClosed IsHighPriority TaskSubtype ReminderDateTime"),
    ("hubspot", "contacts"): _fields("hs_persona hs_language num_notes notes_last_updated"),
    ("hubspot", "companies"): _fields("total_revenue timezone linkedin_company_page founded_year"),
    ("hubspot", "deals"): _fields("hs_is_closed_won closed_lost_reason deal_currency_code"),
    ("hubspot", "tickets"): _fields("hs_resolution hs_num_times_contacted hs_ticket_id"),
    ("zendeskSupport", "tickets"): _fields("external_id problem_id has_incidents is_public"),
    ("zendeskSupport", "users"): _fields("alias external_id notes shared_phone_number"),
    ("zendeskSupport", "organizations"): _fields("external_id shared_comments url"),
    ("zendeskSupport", "satisfaction_ratings"): _fields("url group_id updated_at"),
    ("pipedrive", "deals"): _fields("lost_time close_time visible_to activities_count"),
    ("pipedrive", "persons"): _fields("visible_to open_deals_count next_activity_date"),
    ("pipedrive", "organizations"): _fields("address_locality address_country visible_to"),
    ("pipedrive", "activities"): _fields("location public_description busy_flag"),
    ("intercom", "contacts"): _fields("avatar browser os last_replied_at marked_email_as_spam"),
    ("intercom", "conversations"): _fields(
        "ai_agent_participated $['source']['subject'] $['statistics']['count_reopens']"
    ),
    ("intercom", "companies"): _fields("remote_created_at last_request_at tags"),
    ("marketo", "leads"): _fields("mobilePhone address postalCode website"),
    ("marketo", "programs"): _fields("folder startDate endDate tags"),
    ("marketo", "campaigns"): _fields("isTrigger isRequestable smartListId folder"),
    ("marketo", "activities"): _fields("marketoGUID leadChannel attributes"),
    ("gong", "calls"): _fields("purpose customData calendarEventId clientUniqueId"),
    ("gong", "users"): _fields("extension trustedEmailAddress settings"),
    ("gong", "scorecards"): _fields("questions updaterUserName"),
    ("zoho", "Leads"): _fields("Website Mobile Rating Description Email_Opt_Out"),
    ("zoho", "Contacts"): _fields("Date_of_Birth Lead_Source Email_Opt_Out Reports_To"),
    ("zoho", "Accounts"): _fields("Phone Ownership Parent_Account Description Rating"),
    ("zoho", "Deals"): _fields("Next_Step Expected_Revenue Campaign_Source Description"),
    ("attio", "people"): _fields("angellist facebook instagram first_email_interaction"),
    ("attio", "companies"): _fields("twitter facebook instagram angellist"),
    ("attio", "deals"): _fields("next_step expected_close_date associated_users"),
    ("notion", "pages"): _fields("$['last_edited_by']['id'] $['parent']['type']"),
    ("notion", "databases"): _fields("icon cover public_url in_trash"),
    ("notion", "users"): _fields("$['bot']['owner']['type'] $['bot']['workspace_id']"),
}

# Integrations beyond the hand-written use cases get these qualifiers, then numbers.
NAME_QUALIFIERS = ("emea", "apac", "na", "latam", "sandbox", "staging", "eu", "us")

# Read schedules by how often they run; every one is at least 10 minutes apart.
READ_SCHEDULES = {
    "every 10 minutes": "*/10 * * * *",
    "every 15 minutes": "*/15 * * * *",
    "every 30 minutes": "*/30 * * * *",
    "hourly": "0 * * * *",
    "every 6 hours": "0 */6 * * *",
    "daily": "30 2 * * *",
    "weekdays": "0 7 * * 1-5",
}
WATCH_SCHEMA_SCHEDULES = ("0 */6 * * *", "0 * * * *", "0 3 * * *")
BACKFILL_DAYS = (0, 7, 30, 90, 365)
PAGE_SIZES = (50, 100, 200, 500)
OTHER_EVENTS = ("object.merged", "object.restored")

DESTINATIONS: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("defaultWebhook", "webhook", {"url": "https://hooks.example.com/ampersand/default"}),
    ("crmWebhook", "webhook", {"url": "https://hooks.example.com/ampersand/crm"}),
    ("supportWebhook", "webhook", {"url": "https://hooks.example.com/ampersand/support"}),
    (
        "eventsStream",
        "kinesis",
        {
            "streamName": "ampersand-record-events",
            "region": "us-east-1",
            "partitionKeyTemplate": "{{.installation_id}}",
        },
    ),
    (
        "rawArchive",
        "s3",
        {
            "bucket": "example-ampersand-archive",
            "region": "us-east-1",
            "keyTemplate": "join('/', [metadata.objectName, metadata.operationId])",
            "storageClass": "STANDARD_IA",
        },
    ),
    (
        "schemaWatchStream",
        "kinesis",
        {"streamName": "ampersand-schema-changes", "region": "eu-west-1"},
    ),
)
EVENTS_DESTINATION = "eventsStream"
ARCHIVE_DESTINATION = "rawArchive"
SCHEMA_WATCH_DESTINATION = "schemaWatchStream"

# Customers of the builder's app who install integrations (the contract's groups).
CUSTOMERS = (
    "Acme Corporation",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Hooli",
    "Stark Logistics",
    "Wayne Analytics",
    "Soylent Foods",
    "Vandelay Industries",
    "Cyberdyne Systems",
    "Tyrell Biotech",
    "Wonka Confectionery",
    "Oceanic Airlines",
    "Pied Piper",
    "Massive Dynamic",
    "Aperture Labs",
    "Monarch Solutions",
    "Sterling Cooper",
    "Dunder Mifflin",
    "Bluth Company",
    "Smith & O'Brien LLP",
    "Müller Maschinenbau GmbH",
    "株式会社サクラ",
    "Nakatomi Trading",
    "Prestige Worldwide",
    "Blue Sun Corporation",
    "Gekko & Co",
    "Northwind Traders",
    "Contoso Retail",
    "Fabrikam Manufacturing",
)
FIRST_NAMES = _fields(
    "Ava Ben Chloé Dmitri Elena Farah Gustavo Hana Ibrahim Jonas Keiko Liam Maya Noah Olu "
    "Priya Quinn Rafael Sofia Tomás Uma Victor Wen Yusuf Zoe"
)
LAST_NAMES = _fields(
    "Andersen Bauer Chen Dubois Evans Fischer García Haddad Ito Jensen Kowalski Lopez Müller "
    "Nguyen Okafor Patel Rossi Schmidt Tanaka Usman Varga Walsh Yilmaz Zhang"
)

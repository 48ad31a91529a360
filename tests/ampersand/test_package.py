from __future__ import annotations

import subprocess
import sys

import integrations.ampersand


def test_client_package_imports_without_django():
    probe = (
        "import sys, integrations.ampersand; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )

    finished = subprocess.run([sys.executable, "-c", probe], check=False)

    assert finished.returncode == 0


def test_public_names_are_exported():
    exported = set(integrations.ampersand.__all__)

    assert {"AmpersandClient", "Integration", "InvalidResponseError", "load_manifest"} <= exported
    assert all(hasattr(integrations.ampersand, name) for name in exported)

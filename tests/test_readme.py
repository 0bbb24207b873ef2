"""The README's configuration table must name every variable the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_variable_is_documented():
    settings_source = (ROOT / "automl_site" / "settings.py").read_text()
    launcher_source = (ROOT / "automl_site" / "launcher.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', settings_source))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z0-9_]+)"', settings_source + launcher_source))
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme, flags=re.M))
    assert read, "the settings read no variables?"
    missing = sorted(read - documented - {"DJANGO_SETTINGS_MODULE"})
    assert not missing, f"README lacks: {missing}"

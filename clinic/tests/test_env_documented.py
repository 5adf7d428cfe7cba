"""Every environment variable the settings read is documented in the README's table."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = (
    r"os\.environ(?:\.get)?\(\s*\"([A-Z][A-Z0-9_]+)\"",
    r"os\.environ\[\"([A-Z][A-Z0-9_]+)\"\]",
    r"env_(?:bool|list|int)\(\s*\"([A-Z][A-Z0-9_]+)\"",
)


def variables_read_by_settings() -> set[str]:
    names = {"DATABASE_URL"}  # read by dj_database_url.config()
    for path in [*ROOT.glob("clinic/settings/*.py"), ROOT / "scripts" / "serve.sh"]:
        text = path.read_text()
        for pattern in PATTERNS:
            names |= set(re.findall(pattern, text))
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+):-", text))
    return names


def test_every_environment_variable_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("### Environment variables") :]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert {"SECRET_KEY", "REDIS_URL", "STAFF_2FA_REQUIRED"} <= variables_read_by_settings()
    missing = sorted(variables_read_by_settings() - documented)
    assert not missing, f"add these to README.md 'Environment variables': {missing}"

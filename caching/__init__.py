"""Everything that answers without rendering, or decides when a stored answer is stale.

Imports only Django and Wagtail; apps and the project import it (docs/architecture.md)."""

"""Settings shared by every environment, one module per concern; dev.py, test.py and
production.py import * from here. Order matters only where a module extends an earlier one."""

from .appointments import *  # noqa: F403
from .apps import *  # noqa: F403
from .auth import *  # noqa: F403
from .caches import *  # noqa: F403
from .content import *  # noqa: F403
from .database import *  # noqa: F403
from .env import *  # noqa: F403
from .files import *  # noqa: F403
from .i18n import *  # noqa: F403
from .logs import *  # noqa: F403
from .mail import *  # noqa: F403
from .members import *  # noqa: F403
from .security import *  # noqa: F403

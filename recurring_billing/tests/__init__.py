from . import test_period
from . import test_recurring_invoicing
from . import test_lifecycle
from . import test_concurrency
from . import test_multi_company
from . import test_communications
from . import test_simulation

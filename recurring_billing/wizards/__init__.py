from . import recurring_simulation
from . import recurring_simulation_line
from . import recurring_change
from . import recurring_change_line
from . import recurring_ereporting_export
from . import recurring_einvoice_status_record

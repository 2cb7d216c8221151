from . import recurring_kpi_events
from . import recurring_kpi_query
from . import recurring_kpi_monthly
from . import recurring_kpi_cohort
from . import recurring_kpi_trial
from . import recurring_kpi_dashboard

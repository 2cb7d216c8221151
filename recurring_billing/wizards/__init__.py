from . import recurring_simulation
from . import recurring_simulation_line

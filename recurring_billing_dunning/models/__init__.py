from . import recurring_dunning_level
from . import account_move
from . import sale_order

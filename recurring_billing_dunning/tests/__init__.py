from . import test_recurring_dunning_level
from . import test_dunning_level_selection
from . import test_mail_template

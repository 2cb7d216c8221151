from . import test_dunning_policy
from . import test_dunning_engine
from . import test_dunning_manual
from . import test_formal_notice
from . import test_dunning_concurrency
from . import test_dunning_pause
from . import test_dunning_letters
from . import test_dunning_report

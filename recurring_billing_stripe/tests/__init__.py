from . import test_stripe_event
from . import test_stripe_charge
from . import test_stripe_webhook
from . import test_stripe_facturx
from . import test_stripe_lost_answers
from . import test_stripe_charge_workers

from . import test_stripe_client
from . import test_stripe_event

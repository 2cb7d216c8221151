from . import payment_provider
from . import recurring_stripe_event

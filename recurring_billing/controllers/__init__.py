# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import portal
from . import portal_payment_method
from . import public_cancel
from . import portal_billing
from . import usage_api
from . import portal_withdrawal
from . import signup

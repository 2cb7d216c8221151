from .period import next_boundary, previous_boundary, anchor_day_of  # noqa: F401
from .pricing import prorate, tier_bounds, tiered_split, volume_tier  # noqa: F401
from .batch import CONTENTION_ERRORS, lock_batch, quiet_contention  # noqa: F401
from .portal_input import parse_record_id, parse_whole_number  # noqa: F401

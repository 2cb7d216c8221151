from .period import next_boundary, previous_boundary, anchor_day_of  # noqa: F401

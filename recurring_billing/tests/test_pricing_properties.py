# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Property-based tests (hypothesis) of proration and tier pricing, with the
euro's real rounding."""

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged

from ..tools import prorate, tiered_split, volume_tier

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)

amounts = st.decimals(
    min_value=-100_000, max_value=100_000, places=2, allow_nan=False
).map(float)


@st.composite
def tier_tables(draw):
    """``[(up_to, unit_price)]``: increasing bounds, open last tier."""
    bounds = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=10_000), max_size=5))
    )
    prices = draw(
        st.lists(
            st.decimals(min_value=0, max_value=1_000, places=2).map(float),
            min_size=len(bounds) + 1,
            max_size=len(bounds) + 1,
        )
    )
    return list(zip([*bounds, 0], prices, strict=True))


@tagged("post_install", "-at_install")
class TestPricingProperties(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")

    def tiered_amount(self, tiers, quantity):
        return self.eur.round(
            sum(
                self.eur.round(inside * price)
                for _lower, _upper, inside, price in tiered_split(tiers, quantity)
            )
        )

    @PROPERTY_SETTINGS
    @given(
        amount=amounts,
        full_days=st.integers(min_value=1, max_value=366),
        data=st.data(),
    )
    def test_prorated_parts_add_up_to_the_full_price(self, amount, full_days, data):
        """However a period is cut (changes, pause, cancellation), its parts
        add up to the full price exactly."""
        cuts = sorted(
            data.draw(
                st.sets(
                    st.integers(min_value=1, max_value=max(full_days - 1, 1)),
                    max_size=6,
                )
            )
        )
        cuts = [cut for cut in cuts if cut < full_days]
        edges = [0, *cuts, full_days]
        parts = [
            prorate(amount, full_days, first, last - 1, self.eur.round)
            for first, last in zip(edges, edges[1:], strict=False)
        ]
        self.assertEqual(
            self.eur.compare_amounts(sum(parts), self.eur.round(amount)), 0
        )
        for part, (first, last) in zip(
            parts, zip(edges, edges[1:], strict=False), strict=True
        ):
            # Each part is within a cent of its exact share, and of the same sign.
            exact = amount * (last - first) / full_days
            self.assertLessEqual(abs(part - exact), 0.01 + 1e-9)
            self.assertGreaterEqual(part * amount, 0)

    @PROPERTY_SETTINGS
    @given(
        tiers=tier_tables(),
        quantities=st.tuples(
            st.integers(min_value=0, max_value=20_000),
            st.integers(min_value=0, max_value=20_000),
        ),
    )
    def test_tiered_pricing_is_monotonic(self, tiers, quantities):
        low, high = sorted(quantities)
        self.assertLessEqual(
            self.tiered_amount(tiers, low), self.tiered_amount(tiers, high)
        )
        # The tiers share the quantity out exactly, each within its bounds.
        split = tiered_split(tiers, high)
        self.assertEqual(sum(inside for _l, _u, inside, _p in split), high)
        for lower, upper, inside, _price in split:
            self.assertGreater(inside, 0)
            self.assertLessEqual(inside, (upper or float("inf")) - lower)

    @PROPERTY_SETTINGS
    @given(tiers=tier_tables(), quantity=st.integers(min_value=1, max_value=20_000))
    def test_volume_prices_every_unit_at_the_tier_reached(self, tiers, quantity):
        lower, upper, price = volume_tier(tiers, quantity)
        self.assertLess(lower, quantity)
        self.assertTrue(upper is None or quantity <= upper)
        self.assertIn((upper or 0, price), tiers)

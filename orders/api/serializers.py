"""Shapes of the orders API: input serializers check types only, output serializers render.

Business rules (stock, limits, states, who may do what) live in orders.services; a serializer here
never decides anything beyond "is this a well-formed value". Money is rendered as strings with two
decimals; times as ISO 8601 in the site's timezone.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import IdField as StrictIdField
from core.api import InstantField
from core.inputs import parse_int
from core.money import MAX_AMOUNT
from orders.addresses import order_place_text, read_place
from orders.coupon_selectors import CODE_MAX as COUPON_CODE_MAX
from orders.models import Commission, GroupBuy, Order, Team
from orders.services import MAX_LINES, PAID_STATUSES, current_tier_price
from payments.models import Payment, Refund, WalletEntry

# Primary keys are bigints: a larger number would reach PostgreSQL as an out-of-range error.
MAX_ID = 2**63 - 1
# The columns' range; the real rule (1 to 9999) is the service's, which says it in the user's words.
MAX_INT = 2**31 - 1
# The same statuses the member pages show the pickup code for.
CODE_VISIBLE = (Order.Status.PAID, Order.Status.CONFIRMED, Order.Status.READY)


def IdField(**kwargs):  # noqa: N802 - reads like a field class
    # ASCII digits only: DRF's IntegerField reads "１" (full-width) and "٣" as numbers.
    return StrictIdField(**kwargs)


class AsciiIntegerField(serializers.IntegerField):
    """An integer; typed as a string, ASCII digits only ("２" is not 2)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and parse_int(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


def MoneyField(**kwargs):  # noqa: N802
    return serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, **kwargs)


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as one named enum (OrderStatusEnum...), whatever component uses it.

    Several models here have a "status"; each choice set gets its own stable name instead of a
    hash-suffixed one (drf-spectacular names enums after the field otherwise).
    """

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def get_name(self):
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction):
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        return schema


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# Small references ----------------------------------------------------------------------------

class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class GroupBuyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)


class PickupPointRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)


class PickupPointSerializer(PickupPointRefSerializer):
    hours = serializers.CharField(read_only=True)


class TeamRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    status = NamedChoiceField(enum_name="TeamStatusEnum", choices=Team.Status.choices, read_only=True)
    size = serializers.IntegerField(read_only=True)
    paid_count = serializers.IntegerField(read_only=True, help_text=_("Members who have paid"))


# Group-buys ------------------------------------------------------------------------------------

class ProductImageSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)

    def get_url(self, image) -> str:
        return _absolute(self.context.get("request"), image.image.url)

    def get_thumbnail_url(self, image) -> str | None:
        return _absolute(self.context.get("request"), image.thumbnail.url) if image.thumbnail else None


class PriceTierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField(read_only=True, help_text=_("From this many units sold"))
    price = MoneyField()


class GroupBuyItemSerializer(serializers.Serializer):
    """An item of a round; ``context["sold"]`` maps item ids to paid units (for the tier price)."""

    id = serializers.IntegerField(read_only=True)
    product = serializers.IntegerField(source="product_id", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    description = serializers.CharField(source="product.description", read_only=True)
    images = ProductImageSerializer(source="product.images.all", many=True, read_only=True)
    group_price = MoneyField()
    current_price = serializers.SerializerMethodField(
        help_text=_("The price everyone pays at the quantity sold so far (price tiers)"))
    quantity_on_offer = serializers.IntegerField(read_only=True)
    remaining = serializers.IntegerField(read_only=True)
    per_member_limit = serializers.IntegerField(read_only=True, allow_null=True)
    tiers = PriceTierSerializer(source="tiers.all", many=True, read_only=True)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_current_price(self, item):
        price = current_tier_price(item, self.context.get("sold", {}).get(item.pk, 0))
        return serializers.DecimalField(max_digits=12, decimal_places=2).to_representation(price)


class GroupBuySerializer(serializers.ModelSerializer):
    status = NamedChoiceField(enum_name="GroupBuyStatusEnum", choices=GroupBuy.Status.choices, read_only=True)
    mode = serializers.ChoiceField(choices=GroupBuy.Mode.choices, read_only=True)
    success_rule = serializers.ChoiceField(choices=GroupBuy.SuccessRule.choices, read_only=True)
    success_threshold = MoneyField()
    delivery_fee = MoneyField()
    items = GroupBuyItemSerializer(source="items.all", many=True, read_only=True)
    pickup_points = PickupPointSerializer(source="pickup_points.all", many=True, read_only=True)

    class Meta:
        model = GroupBuy
        fields = ["id", "title", "description", "status", "mode", "team_size", "team_window_hours", "opens_at",
                  "closes_at", "expected_pickup_at", "allows_delivery", "delivery_fee", "success_rule",
                  "success_threshold", "items", "pickup_points"]
        read_only_fields = fields


class ProgressSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(read_only=True, help_text=_("Units in paid orders"))
    amount = MoneyField(help_text=_("Total of paid orders"))
    buyers = serializers.IntegerField(read_only=True, help_text=_("Members with a paid order"))
    target = MoneyField(help_text=_("The success threshold (0 when the round always goes ahead)"))
    reached = serializers.BooleanField(read_only=True)
    ratio = serializers.FloatField(read_only=True, help_text=_("From 0 to 1"))


# Orders ----------------------------------------------------------------------------------------

class OrderLineSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item_id", read_only=True)
    name = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    unit_price = MoneyField()
    quantity = serializers.IntegerField(read_only=True)
    line_total = MoneyField()


class OrderSerializer(serializers.Serializer):
    """An order as its member sees it. Rendered from the order and its (prefetched) lines only.

    A plain Serializer, not a ModelSerializer: it answers every order placement, and building a
    ModelSerializer's fields introspects the model on each instantiation.
    """

    id = serializers.IntegerField(read_only=True)
    group_buy = GroupBuyRefSerializer(read_only=True)
    status = NamedChoiceField(enum_name="OrderStatusEnum", choices=Order.Status.choices, read_only=True)
    fulfilment = serializers.ChoiceField(choices=Order.Fulfilment.choices, read_only=True)
    pickup_point = PickupPointRefSerializer(read_only=True, allow_null=True)
    delivery_address = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    discount = MoneyField(help_text=_("Taken off by a coupon (the total is net of it)"))
    points_discount = MoneyField(help_text=_("Paid with points (the total is net of it)"))
    points_spent = serializers.IntegerField(read_only=True, help_text=_("The points that paid it"))
    total = MoneyField()
    paid_amount = MoneyField()
    refunded_amount = MoneyField()
    currency = serializers.CharField(read_only=True)
    pickup_code = serializers.SerializerMethodField(
        help_text=_("Shown to the leader at pickup; only once the order is paid and until it is picked up"))
    team = TeamRefSerializer(read_only=True, allow_null=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text=_("An unpaid order is cancelled at this time"))
    created_at = serializers.DateTimeField(read_only=True)

    def get_pickup_code(self, order) -> str | None:
        if order.status in CODE_VISIBLE and order.fulfilment == Order.Fulfilment.PICKUP:
            return order.pickup_code
        return None


class PaymentSerializer(serializers.ModelSerializer):
    method = serializers.ChoiceField(choices=Payment.Method.choices, read_only=True)
    status = NamedChoiceField(enum_name="PaymentStatusEnum", choices=Payment.Status.choices, read_only=True)
    amount = MoneyField()

    class Meta:
        model = Payment
        fields = ["method", "status", "amount", "reference", "created_at", "confirmed_at"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    method = serializers.ChoiceField(choices=Payment.Method.choices, read_only=True)
    status = NamedChoiceField(enum_name="RefundStatusEnum", choices=Refund.Status.choices, read_only=True)
    amount = MoneyField()
    reason_label = serializers.CharField(read_only=True, help_text=_("Why, in words"))

    class Meta:
        model = Refund
        fields = ["id", "amount", "method", "status", "reason", "reason_label", "note", "created_at", "paid_back_at",
                  "paid_back_reference"]
        read_only_fields = fields


class OrderCouponSerializer(serializers.Serializer):
    code = serializers.CharField(source="coupon.code", read_only=True)
    name = serializers.CharField(source="coupon.name", read_only=True)
    amount = MoneyField(help_text=_("What it took off this order"))
    released = serializers.SerializerMethodField(help_text=_("The order was cancelled: the use went back to me"))

    def get_released(self, redemption) -> bool:
        return redemption.released_at is not None


class OrderDetailSerializer(OrderSerializer):
    """One order with its payment attempts and refunds (selectors.order_for_member prefetches both)."""

    coupon = serializers.SerializerMethodField(help_text=_("The coupon used, if any"))

    @extend_schema_field(OrderCouponSerializer(allow_null=True))
    def get_coupon(self, order) -> dict | None:
        if not order.discount:
            return None  # no coupon: no query
        redemption = order.coupon_redemption if hasattr(order, "coupon_redemption") else None
        return OrderCouponSerializer(redemption).data if redemption else None

    paid_at = serializers.DateTimeField(read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    payments = PaymentSerializer(many=True, read_only=True, source="charge.payments.all")
    refunds = RefundSerializer(many=True, read_only=True, source="charge.refunds.all")


class AdminOrderSerializer(OrderSerializer):
    """An order in the console: who bought it, and its pickup code whatever the state."""

    member = UserRefSerializer(read_only=True)

    def get_pickup_code(self, order) -> str | None:
        return order.pickup_code if order.fulfilment == Order.Fulfilment.PICKUP else None


class LineInputSerializer(serializers.Serializer):
    item = IdField(help_text=_("An item id of the group-buy"))
    quantity = AsciiIntegerField(min_value=-MAX_INT, max_value=MAX_INT, help_text=_("1 to 9999"))


class OrderDetailsInputSerializer(serializers.Serializer):
    """What a member chooses when ordering (in a group-buy, or opening or joining a team)."""

    # Bounded before each line is validated: a body of thousands of lines is refused at once.
    lines = LineInputSerializer(many=True, min_length=1, max_length=MAX_LINES, help_text=_("1 to 50 lines"))
    fulfilment = serializers.ChoiceField(choices=Order.Fulfilment.choices, default=Order.Fulfilment.PICKUP)
    pickup_point = IdField(required=False, allow_null=True, help_text=_("Required for pickup"))
    delivery_address = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    coupon_code = serializers.CharField(required=False, allow_blank=True, max_length=COUPON_CODE_MAX, default="",
                                        help_text=_("A coupon to apply (case and spaces do not matter); a code "
                                                    "that does not apply is a 400 with its reason in "
                                                    "fields.coupon"))
    use_points = serializers.BooleanField(required=False, default=False,
                                          help_text=_("Pay what the community allows with my points (its rate "
                                                      "and cap); nothing when it does not take points"))


class OrderCreateSerializer(OrderDetailsInputSerializer):
    group_buy = IdField(help_text=_("A group-buy of this community"))


class PayInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="",
                                      help_text=_("For a transfer: its note or last digits"))


# Teams -----------------------------------------------------------------------------------------

class TeamMemberSerializer(serializers.Serializer):
    display_name = serializers.CharField(source="member.display_name", read_only=True)
    paid = serializers.SerializerMethodField()
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    def get_paid(self, order) -> bool:
        return order.status in PAID_STATUSES


class TeamSerializer(serializers.ModelSerializer):
    """A team (拼团) and who is in it; ``context["members"]`` holds its live orders."""

    group_buy = GroupBuyRefSerializer(read_only=True)
    leader = UserRefSerializer(read_only=True)
    status = NamedChoiceField(enum_name="TeamStatusEnum", choices=Team.Status.choices, read_only=True)
    members = serializers.SerializerMethodField()
    share_url = serializers.SerializerMethodField(help_text=_("The page to share to invite people"))

    class Meta:
        model = Team
        fields = ["code", "group_buy", "leader", "status", "size", "member_count", "paid_count", "expires_at",
                  "created_at", "members", "share_url"]
        read_only_fields = fields

    @extend_schema_field(TeamMemberSerializer(many=True))
    def get_members(self, team):
        return TeamMemberSerializer(self.context.get("members", []), many=True).data

    def get_share_url(self, team) -> str:
        url = reverse("orders:team", kwargs={"slug": self.context["community"].slug, "code": team.code})
        return _absolute(self.context.get("request"), url)


# Wallet ----------------------------------------------------------------------------------------

class WalletSerializer(serializers.Serializer):
    balance = MoneyField()
    currency = serializers.CharField(read_only=True)


class WalletEntrySerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(enum_name="WalletEntryKindEnum", choices=WalletEntry.Kind.choices, read_only=True)
    amount = MoneyField(help_text=_("Credits are positive, debits negative"))
    balance_after = MoneyField()
    order = serializers.SerializerMethodField(help_text=_("The order paid or refunded, if any"))

    class Meta:
        model = WalletEntry
        fields = ["id", "kind", "amount", "balance_after", "order", "note", "created_at"]
        read_only_fields = fields

    def get_order(self, entry) -> int | None:
        # A reverse one-to-one that is missing raises an AttributeError subclass: getattr's default.
        return getattr(getattr(entry.charge, "order", None), "pk", None) if entry.charge_id else None


class TopUpEntrySerializer(WalletEntrySerializer):
    member = serializers.IntegerField(source="wallet.member_id", read_only=True, help_text=_("A user id"))

    class Meta(WalletEntrySerializer.Meta):
        fields = ["id", "member"] + WalletEntrySerializer.Meta.fields[1:]
        read_only_fields = fields


# Console actions -------------------------------------------------------------------------------

class MarkPaidInputSerializer(serializers.Serializer):
    orders = serializers.ListField(child=IdField(), allow_empty=False, max_length=500)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class MarkPaidResultSerializer(serializers.Serializer):
    marked = serializers.ListField(child=serializers.IntegerField(), help_text=_("Orders now paid"))
    skipped = serializers.ListField(child=serializers.IntegerField(),
                                    help_text=_("Orders not waiting for payment (paid already, cancelled...)"))


class ArrivedInputSerializer(serializers.Serializer):
    pickup_point = IdField(required=False, allow_null=True, help_text=_("Only this pickup point; null: everywhere"))


class ArrivedResultSerializer(serializers.Serializer):
    ready = serializers.IntegerField(help_text=_("Orders now ready for pickup"))


class PickupLookupSerializer(serializers.Serializer):
    code = serializers.RegexField(
        r"^(?:[0-9 -]{6,20}|[0-9]{1,12}\.[0-9]{1,12}\.[0-9]{6}:[A-Za-z0-9_-]{20,80})$", max_length=120,
        help_text=_("The member's 6-digit pickup code (spaces and dashes are ignored), or what the member's "
                    "pickup QR code reads (a signed code naming the community and the order)"))


class PickupInputSerializer(PickupLookupSerializer):
    order = IdField(required=False, allow_null=True,
                    help_text=_("Needed only when several ready orders share the code"))


class AdminRefundSerializer(RefundSerializer):
    """A refund in the console: whose, for which order, and who paid it back."""

    member = UserRefSerializer(source="charge.member", read_only=True)
    order = serializers.IntegerField(source="charge.order.pk", read_only=True)
    group_buy = serializers.IntegerField(source="charge.order.group_buy_id", read_only=True)

    class Meta(RefundSerializer.Meta):
        fields = RefundSerializer.Meta.fields + ["member", "order", "group_buy"]
        read_only_fields = fields


class PaidBackInputSerializer(serializers.Serializer):
    refunds = serializers.ListField(child=IdField(), allow_empty=False, max_length=500)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class PaidBackResultSerializer(serializers.Serializer):
    paid_back = serializers.ListField(child=serializers.IntegerField(), help_text=_("Refunds recorded now"))
    skipped = serializers.ListField(child=serializers.IntegerField(), help_text=_("Refunds paid back before"))


class DeclineInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                 help_text=_("Told to the member"))


class TransferReportSerializer(serializers.ModelSerializer):
    """A transfer a member reported, waiting for an admin."""

    amount = MoneyField()
    member = UserRefSerializer(source="charge.member", read_only=True)
    order = serializers.IntegerField(source="charge.order.pk", read_only=True)
    order_status = serializers.CharField(source="charge.order.status", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "amount", "reference", "created_at", "member", "order", "order_status"]
        read_only_fields = fields


class RefundInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class TopUpInputSerializer(serializers.Serializer):
    member = IdField(help_text=_("The user id of an active member"))
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                                      max_value=MAX_AMOUNT, help_text=_('e.g. "10.00"'))
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


# Orders for admins and leaders -------------------------------------------------------------------


class AdminOrderRowSerializer(AdminOrderSerializer):
    """An order in the admins' list: AdminOrderSerializer plus the branch and the sync timestamps."""

    branch = serializers.IntegerField(source="branch_id", read_only=True, allow_null=True,
                                      help_text=_("The buyer's branch (a community id), if any"))
    paid_at = serializers.DateTimeField(read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)
    building = serializers.SerializerMethodField(
        help_text=_("Building-unit-room read from the delivery address or note, e.g. \"3-2-1502\"; null if unreadable"))

    def get_building(self, order) -> str | None:
        place = read_place(order_place_text(order))
        return str(place) if place is not None else None


class AdminOrderDetailSerializer(AdminOrderRowSerializer):
    """One order for admins and leaders, with its payment attempts and refunds."""

    payments = PaymentSerializer(many=True, read_only=True, source="charge.payments.all")
    refunds = RefundSerializer(many=True, read_only=True, source="charge.refunds.all")


class ShipInputSerializer(serializers.Serializer):
    tracking = serializers.CharField(required=False, allow_blank=True, max_length=100, default="",
                                     help_text=_("The carrier's tracking number, told to the member"))


# Money for admins -------------------------------------------------------------------------------

class WalletOwnerSerializer(UserRefSerializer):
    phone = serializers.CharField(read_only=True, allow_null=True)


class AdminWalletSerializer(serializers.Serializer):
    member = WalletOwnerSerializer(read_only=True)
    balance = MoneyField()
    currency = serializers.CharField(read_only=True)


class CommissionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    leader = UserRefSerializer(read_only=True)
    order = serializers.IntegerField(source="order_id", read_only=True)
    group_buy = GroupBuyRefSerializer(source="order.group_buy", read_only=True)
    buyer = UserRefSerializer(source="order.member", read_only=True)
    kind = NamedChoiceField(enum_name="CommissionKindEnum", choices=Commission.Kind.choices, read_only=True)
    rate = serializers.DecimalField(max_digits=5, decimal_places=4, read_only=True, help_text=_("0.05 is 5%"))
    base_amount = MoneyField()
    amount = MoneyField(help_text=_("Earned is positive, a reversal negative"))
    created_at = serializers.DateTimeField(read_only=True)


# Rounds and pickup points for admins and leaders -------------------------------------------------

MAX_TEXT = 5000


class TierInputSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField(min_value=1, max_value=MAX_INT, help_text=_("From this many units sold"))
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_AMOUNT)


class ItemInputSerializer(serializers.Serializer):
    product = IdField(help_text=_("A product id of this community"))
    group_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                           max_value=MAX_AMOUNT)
    quantity_on_offer = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    per_member_limit = serializers.IntegerField(min_value=1, max_value=MAX_INT, required=False, allow_null=True,
                                                default=None)
    tiers = TierInputSerializer(many=True, required=False, default=list, max_length=20,
                                help_text=_("Lower prices from a larger quantity sold, in increasing quantities"))


class GroupBuyCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    mode = serializers.ChoiceField(choices=GroupBuy.Mode.choices, required=False, default=GroupBuy.Mode.NORMAL)
    team_size = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                         max_value=MAX_INT, help_text=_("Team rounds: 2 to 100 members"))
    team_window_hours = serializers.IntegerField(required=False, default=24, min_value=0, max_value=MAX_INT)
    opens_at = InstantField()
    closes_at = InstantField()
    expected_pickup_at = InstantField(required=False, allow_null=True, default=None)
    pickup_points = serializers.ListField(child=IdField(), required=False, default=list, max_length=100)
    allows_delivery = serializers.BooleanField(required=False, default=False)
    delivery_fee = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, default=Decimal("0"),
                                            min_value=Decimal("0"), max_value=MAX_AMOUNT)
    success_rule = serializers.ChoiceField(choices=GroupBuy.SuccessRule.choices, required=False,
                                           default=GroupBuy.SuccessRule.NONE)
    success_threshold = serializers.DecimalField(max_digits=12, decimal_places=2, required=False,
                                                 default=Decimal("0"), min_value=Decimal("0"),
                                                 max_value=Decimal("1000000000"))
    commission_rate = serializers.DecimalField(
        max_digits=5, decimal_places=4, required=False, allow_null=True, default=None, min_value=Decimal("0"),
        max_value=Decimal("0.5"), help_text=_("0.05 is 5%; owners and admins only (null: the default)"))
    branches = serializers.ListField(child=IdField(), required=False, default=list, max_length=100,
                                     help_text=_("Branch ids the round is aimed at (none: the whole community)"))
    items = ItemInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    publish = serializers.BooleanField(required=False, default=True,
                                       help_text=_("false keeps it a draft, to publish later"))


class ItemUpdateInputSerializer(ItemInputSerializer):
    id = IdField(required=False, allow_null=True, default=None,
                 help_text=_("The item this row changes; leave out for a new item"))


class GroupBuyUpdateSerializer(serializers.Serializer):
    """Only the fields sent change. ``items``, when sent, is the whole new list: rows with an id change
    that item, rows without one add an item, items left out are removed."""

    title = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    mode = serializers.ChoiceField(choices=GroupBuy.Mode.choices, required=False)
    team_size = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=MAX_INT)
    team_window_hours = serializers.IntegerField(required=False, min_value=0, max_value=MAX_INT)
    opens_at = InstantField(required=False)
    closes_at = InstantField(required=False)
    expected_pickup_at = InstantField(required=False, allow_null=True)
    pickup_points = serializers.ListField(child=IdField(), required=False, max_length=100)
    allows_delivery = serializers.BooleanField(required=False)
    delivery_fee = serializers.DecimalField(max_digits=12, decimal_places=2, required=False,
                                            min_value=Decimal("0"), max_value=MAX_AMOUNT)
    success_rule = serializers.ChoiceField(choices=GroupBuy.SuccessRule.choices, required=False)
    success_threshold = serializers.DecimalField(max_digits=12, decimal_places=2, required=False,
                                                 min_value=Decimal("0"), max_value=Decimal("1000000000"))
    commission_rate = serializers.DecimalField(max_digits=5, decimal_places=4, required=False, min_value=Decimal("0"),
                                               max_value=Decimal("0.5"))
    branches = serializers.ListField(child=IdField(), required=False, max_length=100)
    items = ItemUpdateInputSerializer(many=True, required=False, allow_empty=False, max_length=MAX_LINES)


class AdminGroupBuySerializer(GroupBuySerializer):
    """A round as the console sees it: who it reaches and what its leader earns, besides what members see."""

    branches = serializers.PrimaryKeyRelatedField(many=True, read_only=True,
                                                  help_text=_("Branch ids it reaches (none: the whole community)"))
    commission_rate = serializers.DecimalField(max_digits=5, decimal_places=4, read_only=True)

    class Meta(GroupBuySerializer.Meta):
        fields = [*GroupBuySerializer.Meta.fields, "branches", "commission_rate"]
        read_only_fields = fields


class GroupBuyCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                   help_text=_("Told to the members whose orders are cancelled"))


class PurchaseLineSerializer(serializers.Serializer):
    product_name = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    unit_price = MoneyField(help_text=_("The price the tiers reached"))
    amount = MoneyField()


class SupplierBlockSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    contact = serializers.CharField(read_only=True)
    has_supplier = serializers.BooleanField(read_only=True)
    amount = MoneyField()
    lines = PurchaseLineSerializer(many=True, read_only=True)


class PurchaseSheetSerializer(serializers.Serializer):
    group_buy = GroupBuyRefSerializer(read_only=True)
    suppliers = SupplierBlockSerializer(many=True, read_only=True)
    total_quantity = serializers.IntegerField(read_only=True)
    total_amount = MoneyField()


class PickupSheetOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    member = WalletOwnerSerializer(read_only=True)
    pickup_code = serializers.CharField(read_only=True)
    items = serializers.CharField(source="lines_text", read_only=True, help_text=_('e.g. "Mango ×2 box; Pear ×1 kg"'))
    status = NamedChoiceField(enum_name="OrderStatusEnum", choices=Order.Status.choices, read_only=True)


class PickupSheetSerializer(serializers.Serializer):
    group_buy = GroupBuyRefSerializer(read_only=True)
    pickup_point = PickupPointSerializer(read_only=True)
    orders = PickupSheetOrderSerializer(many=True, read_only=True)


class AdminPickupPointSerializer(PickupPointSerializer):
    leader = UserRefSerializer(read_only=True, allow_null=True)
    branch = serializers.IntegerField(source="branch_id", read_only=True, allow_null=True,
                                      help_text=_("The branch (a community id) that runs it, if any"))
    is_active = serializers.BooleanField(read_only=True, help_text=_("false: retired"))


class PickupPointInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    address = serializers.CharField(max_length=200)
    hours = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    leader = IdField(required=False, allow_null=True, default=None,
                     help_text=_("The user id of the leader or admin in charge"))
    branch = IdField(required=False, allow_null=True, default=None,
                     help_text=_("A branch id (a leader's points go to their own branch)"))
    is_active = serializers.BooleanField(required=False, default=True, help_text=_("false retires it"))

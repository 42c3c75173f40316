"""REST API for polls: members list, read, vote and withdraw; the console's polls (create, change,
open, close, delete, results).

Each view: input serializer → the poll from the community-scoped selectors (one the caller does
not see is a 404) → engagement.polls → output serializer. Results come only from
``poll_selectors.results``, which answers None while they are hidden: a poll showing results
after closing gives no count (not even how many voted) in any answer before it closes, and its
options keep their own order. The console's answers add ``turnout`` (how many voted), which
admins may see before closing. Anonymous polls never name voters.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from communities.models import Community
from communities.permissions import Perm
from core.api import IdField, InstantField
from core.api import error_responses as errors
from core.exceptions import Conflict, ValidationFailed
from core.filters import FILTER_BACKENDS, ChoiceFilter, DateTimeFilter, OrderingFilter, SyncFilterSet
from core.idempotency import KEY_PARAMETER, idempotent
from crowdfunding.api.collection_serializers import PersonSerializer  # one "Person" in the schema
from engagement import poll_selectors as selectors
from engagement import polls as services
from engagement.models import Poll
from orders.api.serializers import NamedChoiceField
from orders.api.views import JSONAPIView, _valid

TAG = "polls"
TAG_CONSOLE = "polls console"


# Shapes ----------------------------------------------------------------------------------------

class PollOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)


class PollOptionResultSerializer(serializers.Serializer):
    option_id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True, help_text=_lazy("Voters who chose this option"))
    percent = serializers.IntegerField(read_only=True, help_text=_lazy("Of the voters, rounded"))
    voters = PersonSerializer(many=True, read_only=True, allow_null=True,
                              help_text=_lazy("Named polls: who chose it (at most 200); null on anonymous polls"))


class PollTallySerializer(serializers.Serializer):
    voters = serializers.IntegerField(read_only=True, help_text=_lazy("How many members voted"))
    options = PollOptionResultSerializer(many=True, read_only=True, help_text=_lazy("In the options' own order"))


def _tally(tally) -> dict | None:
    return None if tally is None else PollTallySerializer(tally).data


def _status_field():
    return NamedChoiceField(enum_name="PollStatusEnum", choices=Poll.Status.choices, read_only=True,
                            help_text=_lazy('"open" until closes_at passes (see is_open), "closed" once closed'))


def _results_rule_field(**kwargs):
    return NamedChoiceField(enum_name="PollResultsEnum", choices=Poll.Results.choices, **kwargs)


POLL_FIELDS = ["id", "question", "description", "multiple", "max_choices", "anonymous", "results", "allow_change",
               "status", "is_open", "closes_at", "opened_at", "closed_at", "branch", "options", "results_visible"]


class PollBaseSerializer(serializers.ModelSerializer):
    """What members and the console both see of a poll."""

    status = _status_field()
    results = _results_rule_field(read_only=True, help_text=_lazy("When results show: always, or after closing"))
    is_open = serializers.SerializerMethodField(help_text=_lazy("Votes are taken now"))
    results_visible = serializers.SerializerMethodField(help_text=_lazy("Counts are shown now"))
    branch = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                                help_text=_lazy("The branch it is for; null: everyone"))
    options = PollOptionSerializer(many=True, read_only=True)

    class Meta:
        model = Poll
        fields = POLL_FIELDS
        read_only_fields = fields

    def get_is_open(self, poll) -> bool:
        return services.is_open(poll)

    def get_results_visible(self, poll) -> bool:
        return services.results_visible(poll)


class PollSerializer(PollBaseSerializer):
    """A poll as members see it (list: without results)."""

    voted = serializers.SerializerMethodField(help_text=_lazy("I have voted"))

    class Meta(PollBaseSerializer.Meta):
        fields = POLL_FIELDS + ["voted"]
        read_only_fields = fields

    def get_voted(self, poll) -> bool:
        return bool(getattr(poll, "voted", False))


class PollDetailSerializer(PollSerializer):
    my_choices = serializers.SerializerMethodField(help_text=_lazy("The option ids I chose (empty: not voted)"))
    tally = serializers.SerializerMethodField(
        help_text=_lazy("The counts; null while results are hidden (a poll showing them after closing, "
                        "not closed yet)"))

    class Meta(PollSerializer.Meta):
        fields = PollSerializer.Meta.fields + ["my_choices", "tally"]
        read_only_fields = fields

    def get_my_choices(self, poll) -> list[int]:
        return list(getattr(poll, "my_choices", []))

    @extend_schema_field(PollTallySerializer(allow_null=True))
    def get_tally(self, poll):
        return _tally(getattr(poll, "tally", None))


class AdminPollSerializer(PollBaseSerializer):
    created_by = PersonSerializer(read_only=True, allow_null=True)
    turnout = serializers.SerializerMethodField(
        help_text=_lazy("How many members voted (shown to the console even while results are hidden)"))

    class Meta(PollBaseSerializer.Meta):
        fields = POLL_FIELDS + ["created_by", "created_at", "updated_at", "turnout"]
        read_only_fields = fields

    def get_turnout(self, poll) -> int:
        return selectors.turnout(poll)


class PollCreateSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=services.QUESTION_MAX)
    description = serializers.CharField(max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True,
                                        default="")
    options = serializers.ListField(child=serializers.CharField(max_length=services.OPTION_MAX),
                                    min_length=services.MIN_OPTIONS, max_length=services.MAX_OPTIONS,
                                    help_text=_lazy("2 to 20 options, each at most 100 characters, none twice"))
    multiple = serializers.BooleanField(required=False, default=False)
    max_choices = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                           max_value=services.MAX_OPTIONS,
                                           help_text=_lazy("Multiple choice: at most this many (null: no limit)"))
    anonymous = serializers.BooleanField(required=False, default=True)
    results = _results_rule_field(required=False, default=Poll.Results.ALWAYS)
    allow_change = serializers.BooleanField(required=False, default=True)
    closes_at = InstantField(help_text=_lazy("In the future"))
    branch = IdField(required=False, allow_null=True, default=None,
                     help_text=_lazy("A branch id (owners and admins); a leader's poll is for their branch"))

    def validate_max_choices(self, value):
        if isinstance(self.initial_data.get("max_choices"), str):
            raise serializers.ValidationError(_("Give a whole number."))
        return value


class PollUpdateSerializer(PollCreateSerializer):
    """Every field optional; once members voted only closes_at (later) may change."""


class VoteSerializer(serializers.Serializer):
    option_ids = serializers.ListField(child=IdField(), min_length=1, max_length=services.MAX_OPTIONS,
                                       help_text=_lazy("The options chosen: exactly one on a single-choice poll"))


class PollFilter(SyncFilterSet):
    updated_since = DateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        label=_lazy("Only rows changed at or after this time (ISO 8601), for clients that sync"))
    status = ChoiceFilter(choices=Poll.Status.choices)
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("updated_at", "updated_at"),
                                      ("closes_at", "closes_at")),
                              label=_lazy("created_at, updated_at or closes_at; a leading - reverses"))

    class Meta:
        model = Poll
        fields = []


class AdminPollDetailSerializer(AdminPollSerializer):
    tally = serializers.SerializerMethodField(
        help_text=_lazy("The counts; null while results are hidden: a poll showing them after closing shows "
                        "none to the console either until it closes (turnout is shown)"))

    class Meta(AdminPollSerializer.Meta):
        fields = AdminPollSerializer.Meta.fields + ["tally"]
        read_only_fields = fields

    @extend_schema_field(PollTallySerializer(allow_null=True))
    def get_tally(self, poll):
        return _tally(selectors.results(poll))


# Helpers -----------------------------------------------------------------------------------------

def _member_poll(view, pk) -> Poll:
    poll = selectors.poll_for_member(view.membership, pk)
    poll.my_choices = selectors.my_choices(poll, view.membership)
    poll.tally = selectors.results(poll)
    return poll


def _member_answer(view, pk, *, code=status.HTTP_200_OK) -> Response:
    return Response(PollDetailSerializer(_member_poll(view, pk)).data, status=code)


def _branch(view, branch_id) -> Community | None:
    if branch_id is None:
        return None
    branch = Community.objects.filter(pk=branch_id, parent_id=view.community.pk).first()
    if branch is None:
        raise ValidationFailed(_("Choose a branch of this community."), fields={"branch": [_("Not a branch here.")]})
    return branch


def _admin_poll(view, pk) -> Poll:
    return selectors.poll_for_console(view.membership, pk)


def _admin_answer(view, pk, *, code=status.HTTP_200_OK) -> Response:
    return Response(AdminPollDetailSerializer(_admin_poll(view, pk)).data, status=code)


# Members -----------------------------------------------------------------------------------------

class PollListView(JSONAPIView):
    """Published polls I see (for everyone or my branch): open ones first."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = PollFilter
    queryset = Poll.objects.none()

    @extend_schema(responses={200: PollSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Polls"),
                   description=_lazy("Open polls first (closing soonest first), then closed ones. Counts are "
                                     "on each poll's own answer (tally), where they may show."))
    def get(self, request, slug):
        qs = self.filter_queryset(selectors.polls_for_member(self.membership).prefetch_related("options"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PollSerializer(page, many=True).data)


class PollDetailView(JSONAPIView):
    permission = Perm.VIEW

    @extend_schema(responses={200: PollDetailSerializer, **errors(403, 404)}, tags=[TAG], summary=_lazy("One poll"),
                   description=_lazy("With my choices and, where results show, the counts (tally; null while "
                                     "hidden). Named polls list who chose each option; anonymous ones never do."))
    def get(self, request, slug, pk):
        return _member_answer(self, pk)


class PollVoteView(JSONAPIView):
    permission = Perm.VIEW

    @extend_schema(request=VoteSerializer, responses={200: PollDetailSerializer, **errors(400, 403, 404, 409)},
                   tags=[TAG], summary=_lazy("Vote, or change my vote"),
                   description=_lazy("One ballot per member. Changing a vote replaces its choices, where the poll "
                                     "allows it (409 already_voted otherwise). 409 poll_closed once closed. An "
                                     "option of another poll, too many choices: 400."))
    def post(self, request, slug, pk):
        data = _valid(VoteSerializer, request.data)
        poll = selectors.poll_for_member(self.membership, pk)
        services.poll_vote(member=self.membership, poll=poll, option_ids=data["option_ids"])
        return _member_answer(self, pk)


class PollWithdrawView(JSONAPIView):
    permission = Perm.VIEW

    @extend_schema(request=None, responses={200: PollDetailSerializer, **errors(403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Withdraw my vote"),
                   description=_lazy("While the poll is open and allows changing votes; 409 not_voted, "
                                     "change_not_allowed or poll_closed otherwise."))
    def post(self, request, slug, pk):
        poll = selectors.poll_for_member(self.membership, pk)
        services.poll_vote_withdraw(member=self.membership, poll=poll)
        return _member_answer(self, pk)


# Console -----------------------------------------------------------------------------------------

class AdminPollListView(JSONAPIView):
    """GET: the console's polls (a leader: those for everyone, their branch, and their own). POST: a draft."""

    permission = Perm.MANAGE_POSTS
    filter_backends = FILTER_BACKENDS
    filterset_class = PollFilter
    queryset = Poll.objects.none()

    @extend_schema(responses={200: AdminPollSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Polls in the console"))
    def get(self, request, slug):
        qs = self.filter_queryset(selectors.polls_for_console(self.membership).prefetch_related("options")
                                  .order_by("-created_at", "-pk"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AdminPollSerializer(page, many=True).data)

    @extend_schema(request=PollCreateSerializer, parameters=[KEY_PARAMETER],
                   responses={201: AdminPollDetailSerializer, **errors(400, 403, 404, 422)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Create a draft poll"),
                   description=_lazy("Members see it once opened (POST …/open/)."))
    def post(self, request, slug):
        def create():
            data = dict(_valid(PollCreateSerializer, request.data))
            data["branch"] = _branch(self, data["branch"])
            poll = services.poll_create(actor=self.membership, **data)
            return _admin_answer(self, poll.pk, code=status.HTTP_201_CREATED)
        return idempotent(request, f"poll-create:{self.community.pk}", create)


class AdminPollDetailView(JSONAPIView):
    permission = Perm.MANAGE_POSTS

    @extend_schema(responses={200: AdminPollDetailSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("One poll (console)"))
    def get(self, request, slug, pk):
        return _admin_answer(self, pk)

    @extend_schema(request=PollUpdateSerializer, responses={200: AdminPollDetailSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Change a poll"),
                   description=_lazy("Any field while nobody has voted; then only closes_at, to later, while open "
                                     "(409 poll_has_votes). A leader changes only their own polls (403)."))
    def patch(self, request, slug, pk):
        data = dict(_valid(PollUpdateSerializer, request.data, partial=True))
        if "branch" in data:
            data["branch"] = _branch(self, data["branch"])
        services.poll_update(actor=self.membership, poll=_admin_poll(self, pk), **data)
        return _admin_answer(self, pk)

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Deleted")),
                   **errors(403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Delete a poll"),
                   description=_lazy("A draft, or a poll nobody voted on (409 poll_has_votes)."))
    def delete(self, request, slug, pk):
        services.poll_delete(actor=self.membership, poll=_admin_poll(self, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminPollOpenView(JSONAPIView):
    permission = Perm.MANAGE_POSTS

    @extend_schema(request=None, responses={200: AdminPollDetailSerializer, **errors(400, 403, 404, 409)},
                   tags=[TAG_CONSOLE], summary=_lazy("Open a draft poll"))
    def post(self, request, slug, pk):
        services.poll_open(actor=self.membership, poll=_admin_poll(self, pk))
        return _admin_answer(self, pk)


class AdminPollCloseView(JSONAPIView):
    permission = Perm.MANAGE_POSTS

    @extend_schema(request=None, responses={200: AdminPollDetailSerializer, **errors(403, 404, 409)},
                   tags=[TAG_CONSOLE], summary=_lazy("Close a poll early"),
                   description=_lazy("Its voters are told the results."))
    def post(self, request, slug, pk):
        services.poll_close(actor=self.membership, poll=_admin_poll(self, pk))
        return _admin_answer(self, pk)


class AdminPollResultsView(JSONAPIView):
    permission = Perm.MANAGE_POSTS

    @extend_schema(responses={200: PollTallySerializer, **errors(403, 404, 409)}, tags=[TAG_CONSOLE],
                   summary=_lazy("A poll's results (console)"),
                   description=_lazy("409 results_hidden while a poll showing results after closing is open."))
    def get(self, request, slug, pk):
        tally = selectors.results(_admin_poll(self, pk))
        if tally is None:
            raise Conflict(_("This poll shows its results after closing."), code="results_hidden")
        return Response(PollTallySerializer(tally).data)

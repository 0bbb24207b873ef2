"""Shared pieces of the REST API: every viewset checks access through the permission policy.

`PolicyViewSet` is the base of every API viewset. Its two guards call `projects.permissions`
and nothing else decides who may do what:

- `PolicyFilterBackend` narrows the queryset to what the user may see (`restrict(..., "view")`),
  so an object outside it is a 404 and its existence does not leak;
- `PolicyPermission` then checks the action on the object (`can(user, action, obj)`), so an
  object the user may see but not act on is a 403.

A viewset maps its DRF actions to policy actions in `policy_actions`. Nested resources (the
members of a workspace, the shares of a project) name a parent instead: the parent is fetched
with `get_object_for_user` for the mapped action, and the rows are those of the parent.
"""

from __future__ import annotations

from django import forms
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters as drf_filters
from rest_framework import permissions as drf_permissions
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from projects.permissions import can, get_object_for_user, restrict

# Ids are 64-bit in the database; a larger number in a URL or a body would overflow the
# database driver (a 500), so it is refused up front as "not found" or "invalid".
MAX_ID = 2**63 - 1


def check_id(value) -> None:
    """Raise Http404 for an id that cannot exist (URL converters already ensure digits)."""
    if int(value) > MAX_ID:
        raise Http404("Not found.")


class PolicyPermission(drf_permissions.BasePermission):
    """Authenticated users only; the action is checked on the object or on the parent."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        token = getattr(request.user, "api_token", None)
        if token is not None:
            # A token's scope: writes beyond it are refused here, with the reason. (The policy
            # narrows what a token limited to one project reaches.)
            refusal = token.refusal(
                request.method, view.policy_action(), outside=view.above_projects or bool(view.owner_field)
            )
            if refusal:
                self.message = refusal
                return False
        if view.parent_model is not None:
            # Raises Http404 (parent not visible) or PermissionDenied (visible, action not allowed).
            view.get_parent()
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if view.parent_model is not None or view.owner_field:
            # Nested rows were vetted through their parent; owned rows were filtered to the user's own.
            return True
        action = view.policy_action()
        if can(request.user, action, obj):
            return True
        self.message = f"You may not {action.replace('_', ' ')} this {obj._meta.verbose_name}."
        return False


class PolicyFilterBackend(BaseFilterBackend):
    """Only the rows the user may see: their own, their parent's, or what the policy allows."""

    def filter_queryset(self, request, queryset, view):
        if view.owner_field:
            return queryset.filter(**{view.owner_field: request.user.pk})
        if view.parent_model is not None:
            return queryset.filter(**{view.parent_field: view.get_parent()})
        return restrict(queryset, request.user, "view")


class PolicyViewSet(viewsets.GenericViewSet):
    """Base of every API viewset. Subclasses set `policy_actions`, and either `owner_field`
    (rows that belong to one user, which the workspace policy does not govern) or the three
    `parent_*` attributes (rows nested under a workspace or project)."""

    permission_classes = [PolicyPermission]
    filter_backends = [PolicyFilterBackend]
    lookup_value_converter = "int"
    # Updates are partial (PATCH) only: one way to change a thing is enough.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    #: DRF action -> policy action, checked on the object (or the parent). Unlisted: "view".
    policy_actions: dict[str, str] = {}
    #: The field naming the user who owns each row, for per-user resources.
    owner_field: str = ""
    #: Resources above any one project (workspaces and their members): an API token limited to
    #: a project, or to reading and predicting, may only read them.
    above_projects: bool = False
    #: Nested resources: the parent's model, its URL keyword and the child's field pointing to it.
    parent_model = None
    parent_url_kwarg: str = ""
    parent_field: str = ""

    def policy_action(self) -> str:
        return self.policy_actions.get(self.action, "view")

    def get_parent(self):
        """The parent object, fetched once per request through the policy (404 or 403)."""
        if "_parent" not in self.__dict__:
            pk = self.kwargs[self.parent_url_kwarg]
            check_id(pk)
            queryset = self.parent_model._default_manager.all()
            self._parent = get_object_for_user(self.request.user, queryset, self.policy_action(), pk=pk)
        return self._parent

    def get_object(self):
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        check_id(value)
        if self.owner_field or self.parent_model is not None:
            return super().get_object()  # the user's own rows, or the parent's: already vetted
        obj = get_object_for_user(self.request.user, self.get_queryset(), "view", **{self.lookup_field: value})
        self.check_object_permissions(self.request, obj)
        return obj


class PolicyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key a client may set only to objects it may do `policy_action` on.

    Anything else, whether it exists or not, is the same "Invalid pk" error, so a client
    cannot probe for other tenants' objects."""

    def __init__(self, *, policy_action: str, **kwargs):
        self.policy_action = policy_action
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        super().__init__(**kwargs)

    def get_queryset(self):
        return restrict(super().get_queryset(), self.context["request"].user, self.policy_action)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except ValidationError:
            # Someone who can see the object deserves to know why it was refused; everyone
            # else gets the plain "Invalid pk" that reveals nothing.
            visible = restrict(super().get_queryset(), self.context["request"].user, "view")
            if isinstance(data, int | str) and str(data).isdigit() and visible.filter(pk=int(data)).exists():
                action = self.policy_action.replace("_", " ")
                raise ValidationError(f"Your role does not allow you to {action} here.") from None
            raise


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose choice set has its own name in the OpenAPI schema.

    The schema otherwise names an enum after its field, so two different sets both called
    `role` (workspace roles, share roles) or `status` would collide."""

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={"type": "string", "enum": list(field.choices)},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.Filter):
    """Filter by a related object's id; out-of-range or non-numeric values are a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class SearchFilter(drf_filters.SearchFilter):
    """DRF's search, with a rejected term (e.g. a null character) reported under the
    parameter's name, like every other field error, rather than as a bare list."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer aml_…` in the OpenAPI schema."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")

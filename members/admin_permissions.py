"""Members pages and files in the Wagtail admin: page or image rights are not enough.

Whoever may not read members pages on the site (`access.staff_may_see`: the
`members.view_members_password` permission, and a verified second factor where one is required)
may not read them in the admin either: no edit form, preview, draft, revision or comparison of a
page in or below a members area, and no members image or document in the listings, choosers, edit
views or previews. One permission for both, so the clinic has one list of people who may read
members content, not two that drift apart.
"""

from wagtail.models import Collection, PagePermissionTester
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

from .access import staff_may_see


class MembersPagePermissionTester(PagePermissionTester):
    """Wagtail's answers for a members page, each also requiring members access."""

    def __init__(self, user, page):
        super().__init__(user, page)
        self.members_access = staff_may_see(user)


def _also_needs_members_access(name: str):
    wagtail_check = getattr(PagePermissionTester, name)

    def check(self, *args, **kwargs):
        return self.members_access and wagtail_check(self, *args, **kwargs)

    check.__name__ = name
    return check


# Every can_* question, found rather than listed, so one that a Wagtail upgrade adds is denied too.
for _name in [name for name in dir(PagePermissionTester) if name.startswith("can_")]:
    setattr(MembersPagePermissionTester, _name, _also_needs_members_access(_name))


def members_collection_paths() -> list[str]:
    from .protected_media import collection_name

    return list(Collection.objects.filter(name=collection_name(), depth=2).values_list("path", flat=True))


def members_collection_ids() -> list[int]:
    """The "Members only" collection and every collection below it."""
    ids: list[int] = []
    for path in members_collection_paths():
        ids += Collection.objects.filter(path__startswith=path).values_list("pk", flat=True)
    return ids


def without_members_files(queryset, *, user):
    """Images or documents minus the "Members only" collection, for staff without members access;
    unchanged for everyone else. By collection id: the admin's search boxes run the queryset
    through the search backend, which may filter on `collection` (a FilterField of every
    collection member) but not on the collection's path."""
    if staff_may_see(user):
        return queryset
    return queryset.exclude(collection_id__in=members_collection_ids())


def without_members_collections(queryset, *, user):
    """Collections minus "Members only" and those below it, for staff without members access."""
    if staff_may_see(user):
        return queryset
    for path in members_collection_paths():
        queryset = queryset.exclude(path__startswith=path)
    return queryset


class MembersFilesPermissionPolicy(CollectionOwnershipPermissionPolicy):
    """Wagtail's image and document policy, with the "Members only" collection left out for staff
    without members access: they neither see nor choose, edit, preview or upload members files."""

    def user_has_any_permission_for_instance(self, user, actions, instance):
        from .protected_media import is_members_file

        if not staff_may_see(user) and is_members_file(instance):
            return False
        return super().user_has_any_permission_for_instance(user, actions, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        return without_members_files(super().instances_user_has_any_permission_for(user, actions), user=user)

    def collections_user_has_any_permission_for(self, user, actions):
        collections = super().collections_user_has_any_permission_for(user, actions)
        return without_members_collections(collections, user=user)


def hidden_from_staff_without_access(viewset_class):
    """One of Wagtail's admin API viewsets (images, documents), listing no members file to staff
    without members access (Wagtail lists every file outside view-restricted collections)."""

    class MembersAwareViewSet(viewset_class):
        def get_queryset(self):
            return without_members_files(super().get_queryset(), user=self.request.user)

    MembersAwareViewSet.__name__ = f"MembersAware{viewset_class.__name__}"
    return MembersAwareViewSet


def register_policies() -> None:
    """Ours for the image and document models, taking precedence over Wagtail's (exact_class)."""
    from wagtail.documents import get_document_model, get_document_model_string
    from wagtail.images import get_image_model
    from wagtail.permissions import register_permission_policy

    register_permission_policy(
        get_image_model(),
        MembersFilesPermissionPolicy(
            get_image_model(), auth_model="wagtailimages.Image", owner_field_name="uploaded_by_user"
        ),
        exact_class=True,
    )
    register_permission_policy(
        get_document_model(),
        MembersFilesPermissionPolicy(
            get_document_model_string(), auth_model="wagtaildocs.Document", owner_field_name="uploaded_by_user"
        ),
        exact_class=True,
    )

import pytest

from projects import permissions
from projects.models import Project


def test_policy_basics(project, owner, viewer, outsider, sharee):
    assert permissions.can(owner, "delete", project)
    assert permissions.can(viewer, "view", project)
    assert not permissions.can(viewer, "change", project)
    assert not permissions.restrict(Project.objects.all(), outsider, "view").exists()
    assert permissions.restrict(Project.objects.all(), sharee, "view").get() == project
    assert not permissions.can(sharee, "change", project)


@pytest.mark.django_db
def test_redis_is_reachable():
    import redis
    from django.conf import settings

    assert redis.Redis.from_url(settings.REDIS_URL).ping()

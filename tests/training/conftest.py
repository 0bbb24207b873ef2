"""Fixtures of the training tests: one real engine run per test session (`engine_result`),
stored onto fresh jobs as the worker stores it (`finished_job`), and a queued job."""

import pytest

from . import jobs


@pytest.fixture(scope="session")
def engine_run(tmp_path_factory):
    """(folder, result, events) of one run of the engine process on the buyers data."""
    folder = tmp_path_factory.mktemp("engine")
    result, events = jobs.run_engine(folder)
    return folder, result, events


@pytest.fixture
def buyers(project, owner):
    return jobs.buyers_dataset(project, owner)


@pytest.fixture
def finished_job(engine_run, project, owner, buyers):
    folder, result, _ = engine_run
    return jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder)


@pytest.fixture
def queued_job(project, owner, buyers):
    return jobs.make_job(project, owner, buyers)

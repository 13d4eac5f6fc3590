"""One registry of notebook cards, keyed by model type (issue 13): every layout is found by
the class it draws, a model without one gets the generic card, and a ``ModelDict`` result
(whose pydantic shape is a dynamic class of the same name) is looked up by its own class.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import pytest

import graph_olap.models as models
from graph_olap.display import registry
from graph_olap.display.cards import generic_card, kind_of, model_card
from graph_olap.display.registry import layout, layout_of, layouts
from graph_olap.models import APIModel, ModelDict
from tests.unit.test_forward_compat import MODELS, SAMPLES

NOW = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.timezone.utc)


def _kind(html: str) -> str:
    found = re.search(r'<span class="go-kind">([^<]*)</span>', html)
    assert found, html[:200]
    return found.group(1)


def _model(obj: APIModel | ModelDict) -> APIModel:
    return obj.model if isinstance(obj, ModelDict) else obj


def test_every_layout_is_registered_for_a_public_model_class() -> None:
    registered = layouts()
    assert len(registered) >= 25  # both layout modules were imported
    for cls in registered:
        assert getattr(models, cls.__name__, None) is cls, (
            f"a layout is registered for {cls.__module__}.{cls.__qualname__}, which is not "
            "the model of that name in graph_olap.models"
        )


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_model_shows_its_layout_or_the_generic_card(name: str) -> None:
    cls = MODELS[name]
    obj = cls.model_validate(SAMPLES[name])
    model = _model(obj)
    drawn = layout_of(cls)
    card = model_card(model, now=NOW, key=cls)
    if drawn is not None:
        assert card == drawn(model, NOW)
    else:
        assert card == generic_card(model, NOW)
        assert _kind(card) == kind_of(model)
    # what the notebook shows goes through the same lookup (a ModelDict passes its class)
    assert _kind(obj._repr_html_()) == _kind(card)


def test_models_without_a_layout_get_the_generic_card() -> None:
    without = sorted(n for n, cls in MODELS.items() if layout_of(cls) is None)
    assert "Favorite" in without and "ExportJob" in without  # ExportJob: a ModelDict
    job = models.ExportJob.model_validate(SAMPLES["ExportJob"])
    assert _kind(job._repr_html_()) == "Export job"


def test_a_model_dict_is_found_by_its_class_not_by_its_shapes_name() -> None:
    shape = models.MappingDiff.shape()
    assert shape.__name__ == "MappingDiff" and shape is not models.MappingDiff
    assert layout_of(shape) is None  # the name alone finds nothing
    diff = models.MappingDiff.model_validate(SAMPLES["MappingDiff"])
    assert _kind(diff._repr_html_()) == "Mapping diff"


def test_a_subclass_keeps_its_base_models_card() -> None:
    class MySnapshot(models.Snapshot):
        pass

    assert layout_of(MySnapshot) is layout_of(models.Snapshot) is not None
    snap = MySnapshot.model_validate(SAMPLES["Snapshot"])
    assert _kind(snap._repr_html_()) == "Snapshot"


@pytest.fixture
def scratch_model() -> Iterator[type[APIModel]]:
    class Scratch(APIModel):
        name: str

    yield Scratch
    registry._LAYOUTS.pop(Scratch, None)


def test_registering_a_layout_and_refusing_a_second(scratch_model: type[APIModel]) -> None:
    @layout(scratch_model)
    def first(model: object, now: datetime.datetime | None) -> str:
        return '<div class="go-card"><span class="go-kind">Scratch card</span></div>'

    assert layout_of(scratch_model) is first
    assert _kind(scratch_model.model_validate({"name": "x"})._repr_html_()) == "Scratch card"
    with pytest.raises(TypeError, match="already has the layout"):

        @layout(scratch_model)
        def second(model: object, now: datetime.datetime | None) -> str:
            return ""

    with pytest.raises(TypeError, match="needs the model class"):
        layout()

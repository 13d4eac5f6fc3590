"""Routes: the current user's favorites."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import CurrentUser, DbSession
from graph_olap_server.api.schemas.common import Envelope
from graph_olap_server.api.schemas.favorites import FavoriteCreate, FavoriteOut, ResourceType
from graph_olap_server.errors import conflict, not_found

router = APIRouter(tags=["favorites"])

_MODELS: dict[str, type[db.Mapping] | type[db.Snapshot] | type[db.Instance]] = {
    "mapping": db.Mapping,
    "snapshot": db.Snapshot,
    "instance": db.Instance,
}


def _out(session: Session, fav: db.Favorite) -> FavoriteOut:
    target = session.get(_MODELS[fav.resource_type], fav.resource_id)
    return FavoriteOut.from_row(
        fav, resource_name=getattr(target, "name", None), resource_exists=target is not None
    )


@router.get("/favorites", summary="List your favorites")
def list_favorites(
    session: DbSession, user: CurrentUser, resource_type: ResourceType | None = None
) -> Envelope[list[FavoriteOut]]:
    query = select(db.Favorite).where(db.Favorite.username == user.username)
    if resource_type:
        query = query.where(db.Favorite.resource_type == resource_type)
    rows = session.scalars(query.order_by(db.Favorite.id.desc())).all()
    return Envelope(data=[_out(session, f) for f in rows])


@router.post("/favorites", status_code=201, summary="Add a favorite")
def add_favorite(
    body: FavoriteCreate, session: DbSession, user: CurrentUser
) -> Envelope[FavoriteOut]:
    if session.get(_MODELS[body.resource_type], body.resource_id) is None:
        raise not_found(body.resource_type.capitalize(), body.resource_id)
    existing = session.scalars(
        select(db.Favorite).where(
            db.Favorite.username == user.username,
            db.Favorite.resource_type == body.resource_type,
            db.Favorite.resource_id == body.resource_id,
        )
    ).first()
    if existing is not None:
        raise conflict(
            "ALREADY_EXISTS",
            f"{body.resource_type.capitalize()} {body.resource_id} is already one of your "
            "favorites.",
            favorite_id=existing.id,
        )
    fav = db.Favorite(
        username=user.username, resource_type=body.resource_type, resource_id=body.resource_id
    )
    session.add(fav)
    session.commit()
    return Envelope(data=_out(session, fav))


@router.delete(
    "/favorites/{resource_type}/{resource_id}", status_code=204, summary="Remove a favorite"
)
def remove_favorite(
    resource_type: ResourceType, resource_id: int, session: DbSession, user: CurrentUser
) -> Response:
    fav = session.scalars(
        select(db.Favorite).where(
            db.Favorite.username == user.username,
            db.Favorite.resource_type == resource_type,
            db.Favorite.resource_id == resource_id,
        )
    ).first()
    if fav is None:
        raise not_found(
            f"Favorite {resource_type}",
            resource_id,
            "It is not one of your favorites; list them with client.favorites.list().",
        )
    session.delete(fav)
    session.commit()
    return Response(status_code=204)

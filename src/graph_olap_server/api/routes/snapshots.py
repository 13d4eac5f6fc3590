"""Routes: snapshots (placeholder)."""

from fastapi import APIRouter

router = APIRouter()

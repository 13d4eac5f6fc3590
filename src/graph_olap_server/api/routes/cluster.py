"""Routes: cluster (placeholder)."""

from fastapi import APIRouter

router = APIRouter()

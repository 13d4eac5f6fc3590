"""Routes: config (placeholder)."""

from fastapi import APIRouter

router = APIRouter()

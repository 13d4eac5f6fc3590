"""Routes: instances (placeholder)."""

from fastapi import APIRouter

router = APIRouter()

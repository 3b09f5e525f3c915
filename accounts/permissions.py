from __future__ import annotations

from rest_framework.permissions import BasePermission


class IsCoach(BasePermission):
    message = "Only coaches can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_coach)


class IsCustomer(BasePermission):
    message = "Only customers can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_customer)

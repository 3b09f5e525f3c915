from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import coach_get
from config.api.errors import NotFoundError
from config.api.schema import errors
from ratings import selectors, services
from ratings.serializers import OwnRatingSerializer, PublicRatingSerializer, RatingSubmitSerializer
from sessions_app.selectors import session_get_for_user


class SessionRatingApi(APIView):
    @extend_schema(
        summary="The caller's own rating of the session, with its moderation status",
        responses={200: OwnRatingSerializer, **errors("not_authenticated", "not_found")},
    )
    def get(self, request, session_id):
        rating = selectors.rating_get_own(user=request.user, session_id=session_id)
        return Response(OwnRatingSerializer(rating).data)

    @extend_schema(
        summary="Rate the other participant of a completed session (once)",
        request=RatingSubmitSerializer,
        responses={
            201: OwnRatingSerializer,
            **errors("validation_error", "not_authenticated", "not_found", "invalid_state", "already_rated"),
        },
    )
    def post(self, request, session_id):
        session = session_get_for_user(user=request.user, session_id=session_id)
        serializer = RatingSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = services.rating_submit(session=session, rater=request.user, **serializer.validated_data)
        return Response(OwnRatingSerializer(rating).data, status=status.HTTP_201_CREATED)


class CoachRatingListApi(ListAPIView):
    serializer_class = PublicRatingSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.rating_list_public_for_coach(coach_id=self.kwargs["coach_id"])

    @extend_schema(
        summary="A verified coach's approved ratings, newest first",
        responses={200: PublicRatingSerializer(many=True), **errors("not_authenticated", "not_found")},
    )
    def get(self, request, *args, **kwargs):
        if coach_get(coach_id=kwargs["coach_id"]) is None:
            raise NotFoundError("No such coach.")
        return super().get(request, *args, **kwargs)

from __future__ import annotations

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.permissions import IsCoach
from accounts.serializers import (
    AvailabilitySerializer,
    CoachFilterSerializer,
    CoachProfileUpdateSerializer,
    CoachSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    MeSerializer,
    MeUpdateSerializer,
    RegisterSerializer,
    UserSerializer,
)
from config.api.errors import NotFoundError
from config.api.schema import errors
from privacy.serializers import AccountDeleteSerializer
from privacy.services import account_erase_self


def no_store(response: Response) -> Response:
    """An answer carrying a token: no cache (browser, proxy) may keep it. Every token answer uses this."""
    add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
    return response


def client_address(request) -> str:
    # Behind a proxy, configure it to overwrite REMOTE_ADDR; a client-sent X-Forwarded-For is not trusted.
    return request.META.get("REMOTE_ADDR") or "unknown"


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer, **errors("validation_error")})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=LoginSerializer,
        responses={200: LoginResponseSerializer, **errors("validation_error", "invalid_credentials", "throttled")},
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance, token = services.user_login(
            address=client_address(request), request=request._request, **serializer.validated_data
        )
        body = {"token": token, "token_type": "Bearer", "expires_at": instance.expiry, "user": instance.user}
        return no_store(Response(LoginResponseSerializer(body).data))


class LogoutApi(APIView):
    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Token revoked."), **errors("not_authenticated")}
    )
    def post(self, request):
        services.user_logout(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(responses={200: MeSerializer, **errors("not_authenticated")})
    def get(self, request):
        return Response(MeSerializer(selectors.user_me(user=request.user)).data)

    @extend_schema(
        request=MeUpdateSerializer, responses={200: MeSerializer, **errors("validation_error", "not_authenticated")}
    )
    def patch(self, request):
        serializer = MeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_update(user=request.user, **serializer.validated_data)
        return Response(MeSerializer(selectors.user_me(user=request.user)).data)

    @extend_schema(
        request=AccountDeleteSerializer,
        responses={
            204: OpenApiResponse(description="Erased: logged out everywhere."),
            **errors("validation_error", "not_authenticated"),
        },
    )
    def delete(self, request):
        serializer = AccountDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The erasure lives in privacy: it runs every app's step through its registry.
        account_erase_self(user=request.user, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class CoachProfileApi(APIView):
    permission_classes = [IsAuthenticated, IsCoach]

    @extend_schema(responses={200: CoachSerializer, **errors("not_authenticated", "permission_denied")})
    def get(self, request):
        return Response(CoachSerializer(services.coach_profile_of(request.user)).data)

    @extend_schema(
        request=CoachProfileUpdateSerializer,
        responses={200: CoachSerializer, **errors("validation_error", "not_authenticated", "permission_denied")},
    )
    def patch(self, request):
        serializer = CoachProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = services.coach_profile_update(coach=request.user, **serializer.validated_data)
        return Response(CoachSerializer(profile).data)


class CoachAvailabilityApi(APIView):
    permission_classes = [IsAuthenticated, IsCoach]

    @extend_schema(
        request=AvailabilitySerializer,
        responses={200: CoachSerializer, **errors("validation_error", "not_authenticated", "permission_denied")},
    )
    def put(self, request):
        serializer = AvailabilitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.coach_set_availability(coach=request.user, availability=serializer.validated_data["status"])
        return Response(CoachSerializer(profile).data)


class CoachListApi(ListAPIView):
    serializer_class = CoachSerializer
    filter_backends: list = []

    def get_queryset(self):
        filters = CoachFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.coach_list(filters=filters.validated_data)

    @extend_schema(
        parameters=[CoachFilterSerializer],
        responses={200: CoachSerializer(many=True), **errors("validation_error", "not_authenticated")},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CoachDetailApi(APIView):
    @extend_schema(responses={200: CoachSerializer, **errors("not_authenticated", "not_found")})
    def get(self, request, coach_id):
        coach = selectors.coach_get(coach_id=coach_id)
        if coach is None:
            raise NotFoundError("No such coach.")
        return Response(CoachSerializer(coach).data)


# --- Notifications issue: e-mail verification, password reset and change ----------------------------
from accounts import tokens  # noqa: E402
from accounts.serializers import (  # noqa: E402
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    TokenSerializer,
)
from config.tasks import enqueue  # noqa: E402


class VerifyEmailApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=TokenSerializer, responses={200: MeSerializer, **errors("validation_error")})
    def post(self, request):
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = tokens.email_verify(token=serializer.validated_data["token"])
        return Response(MeSerializer(user).data)


class PasswordResetApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=PasswordResetRequestSerializer,
        responses={204: OpenApiResponse(description="Sent if the account exists."), **errors("validation_error")},
    )
    def post(self, request):
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The lookup and the e-mail happen on the worker: the same answer, in the same time, for
        # an address with no account (no account enumeration).
        enqueue("accounts.tasks.password_reset_request", serializer.validated_data["email"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetConfirmApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={204: OpenApiResponse(description="Password changed."), **errors("validation_error")},
    )
    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens.password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeApi(APIView):
    @extend_schema(
        request=PasswordChangeSerializer,
        responses={
            204: OpenApiResponse(description="Changed; the other tokens are revoked."),
            **errors("validation_error", "not_authenticated"),
        },
    )
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens.password_change(user=request.user, keep_token=request.auth, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- end notifications ---

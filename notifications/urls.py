from config.api.routing import api_path
from notifications import apis

urlpatterns = [
    api_path("me/notifications", apis.InboxApi.as_view(), "notification-list"),
    api_path("me/notifications/read-all", apis.NotificationReadAllApi.as_view(), "notification-read-all"),
    api_path("me/notifications/<notification_id>/read", apis.NotificationReadApi.as_view(), "notification-read"),
    api_path("me/notification-preferences", apis.PreferencesApi.as_view(), "notification-preferences"),
    api_path("me/devices", apis.DeviceListApi.as_view(), "device-list"),
    api_path("me/devices/<device_id>", apis.DeviceDetailApi.as_view(), "device-detail"),
]

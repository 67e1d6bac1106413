"""Account, profile and team pages. The dashboard and public profiles show debates, so they
live in debates.views (accounts may not import debates)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("settings/profile/", views.profile_edit, name="profile-edit"),
    path("teams/", views.team_list, name="team-list"),
    path("teams/<uuid:team_id>/", views.team_detail, name="team-detail"),
    path("teams/<uuid:team_id>/audit/", views.team_audit, name="team-audit"),
    path("teams/<uuid:team_id>/invite/", views.team_invite, name="team-invite"),
    path("teams/<uuid:team_id>/switch/", views.team_switch, name="team-switch"),
    path(
        "teams/<uuid:team_id>/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(
        "teams/<uuid:team_id>/members/<int:membership_id>/role/",
        views.member_role,
        name="member-role",
    ),
    path(
        "teams/<uuid:team_id>/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member-remove",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("language/", views.language_switch, name="language-switch"),
]

"""Web pages of the debates app, one module per area; each module exports `urlpatterns`
(gathered by debates/urls.py) so areas can grow without touching each other.

- pages: new debate, list, detail, exports, sharing, dashboard, demo path
- live: live view and replay
- ratings: leaderboard, methodology, model pages, hall of fame, public profiles
"""

"""The real notify consumer: events of the catalogue's shapes in, notifications and
emails out (through a real SMTP server), each event applied once."""
import eventlet

from tandem_notify.adapters.models import notifications, outgoing_emails


def users(service, *entries):
    """The directory reaches notify the real way: gateway user_created events."""
    for user_id, name, role, manager_id in entries:
        user = {"id": user_id, "email": f"{user_id}@example.com", "name": name, "role": role,
                "manager_id": manager_id, "active": True, "version": 1}
        service.publish("gateway", "user_created", {"user": user, "changed": []})


TEAM = (("mgr-1", "Mia Manager", "sales_manager", None), ("rep-1", "Rex Rep", "sales_rep", "mgr-1"),
        ("rep-2", "Rae Rep", "sales_rep", "mgr-1"), ("agent-1", "Ada Agent", "service_agent", None))


def inbox(notify_db, user_id):
    return notify_db.rows(notifications, notifications.c.user_id == user_id, order_by=notifications.c.created_at)


def test_a_referred_lead_reaches_its_owner_in_app_and_by_email_once(notify_service, notify_db, smtp_server, shapes):
    smtp_server.start()
    service = notify_service
    service.start(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_FROM="crm@tandem.example")
    users(service, *TEAM)
    service.wait_for(lambda: service.processed() == 4, what="the directory copied")

    lead = shapes.lead(score=40, referrals=[shapes.referral_ref()])
    event = service.publish("leads", "lead_assigned", shapes.lead_assigned(lead))
    service.publish("leads", "lead_assigned", None, envelope=event)  # delivered twice

    [message] = smtp_server.wait_for(1)
    assert message["X-Rcpt-To"] == "rep-1@example.com"
    assert message["Subject"] == "Referred lead for you: Navy Labs wants 50 more seats"
    assert "Ada Agent referred Grace Hopper at Navy Labs (upsell: 50 more seats)" in message.get_payload()
    service.wait_for(lambda: service.processed() == 5, what="the lead_assigned applied")
    eventlet.sleep(0.6)  # room for a (wrong) second notification or email
    [note] = inbox(notify_db, "rep-1")
    assert note["data"]["referral_id"] == "R1"
    assert len(smtp_server.messages) == 1
    assert [e["status"] for e in notify_db.rows(outgoing_emails)] == ["sent"]


def test_hot_lead_alerts_owner_and_manager_once(notify_service, notify_db, shapes):
    service = notify_service
    service.start()  # no SMTP_HOST: in-app only
    users(service, *TEAM)
    service.wait_for(lambda: service.processed() == 4, what="the directory copied")

    lead = shapes.lead(score=92)  # created and assigned in one go: handled at the same time
    service.publish("leads", "lead_created", {"lead": lead})
    service.publish("leads", "lead_assigned", shapes.lead_assigned(lead))
    service.wait_for(lambda: service.processed() == 6, what="both lead events applied")
    reassigned = shapes.lead_assigned({**lead, "version": 2, "owner_id": "rep-2"}, "rep-1", reason="manual")
    service.publish("leads", "lead_assigned", reassigned)
    service.wait_for(lambda: service.processed() == 7, what="the reassignment applied")

    assert sorted(n["kind"] for n in inbox(notify_db, "rep-1")) == ["hot_lead", "lead_assigned"]
    assert [n["kind"] for n in inbox(notify_db, "mgr-1")] == ["hot_lead"]
    assert [n["kind"] for n in inbox(notify_db, "rep-2")] == ["lead_assigned"]  # the lead had alerted already
    assert notify_db.rows(outgoing_emails) == []


def test_a_lead_created_with_an_owner_tells_once_whatever_else_arrives(notify_service, notify_db, shapes):
    """The new producer's lead_created (with `assignment`), delivered twice, and the old
    producer's lead_assigned of the same lead version, handled side by side."""
    service = notify_service
    service.start()
    users(service, *TEAM)
    service.wait_for(lambda: service.processed() == 4, what="the directory copied")

    lead = shapes.lead(score=95, referrals=[shapes.referral_ref()])
    created = service.publish("leads", "lead_created", shapes.lead_created(lead))
    service.publish("leads", "lead_created", None, envelope=created)  # delivered twice
    service.publish("leads", "lead_assigned", shapes.lead_assigned(lead))
    service.wait_for(lambda: service.processed() == 6, what="both events applied")
    eventlet.sleep(0.6)  # room for the duplicate's (wrong) effect to land

    rep = inbox(notify_db, "rep-1")
    assert sorted(n["kind"] for n in rep) == ["hot_lead", "lead_assigned"]
    assert [n["title"] for n in rep if n["kind"] == "lead_assigned"] == [
        "Referred lead for you: Navy Labs wants 50 more seats"]
    assert [n["kind"] for n in inbox(notify_db, "mgr-1")] == ["hot_lead"]
    assert service.processed() == 6


def test_the_agent_hears_of_assignment_and_rejection(notify_service, notify_db, shapes):
    service = notify_service
    service.start()
    users(service, *TEAM)
    service.wait_for(lambda: service.processed() == 4, what="the directory copied")

    assigned = service.publish("service_desk", "referral_status_changed", shapes.referral_status_changed("assigned"))
    service.publish("service_desk", "referral_status_changed", None, envelope=assigned)
    service.publish("service_desk", "referral_status_changed",
                    shapes.referral_status_changed("rejected", "assigned", reason="already on the top plan"))
    service.wait_for(lambda: len(inbox(notify_db, "agent-1")) == 2, what="two referral updates")
    eventlet.sleep(0.3)  # room for the duplicate's (wrong) effect to land
    titles = sorted(n["title"] for n in inbox(notify_db, "agent-1"))
    assert titles == ["Your referral for Navy Labs was assigned to Rex Rep",
                      "Your referral for Navy Labs was rejected: already on the top plan"]


def test_smtp_down_then_up_the_email_arrives_later_once(notify_service, notify_db, smtp_server, shapes):
    service = notify_service
    service.start(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, EMAIL_RETRY_SECONDS=0.3)  # nobody listens yet
    users(service, *TEAM)
    service.wait_for(lambda: service.processed() == 4, what="the directory copied")

    service.publish("leads", "lead_assigned", shapes.lead_assigned(shapes.lead(score=10)))
    # Event handling does not wait for SMTP: the notification is there, its email pending.
    service.wait_for(lambda: inbox(notify_db, "rep-1"), what="the notification")
    failed = service.wait_for(lambda: [e for e in notify_db.rows(outgoing_emails) if e["last_error"]],
                              what="a failed attempt")
    assert failed[0]["status"] == "pending" and "refused" in failed[0]["last_error"].lower()

    smtp_server.start()
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Lead assigned to you: Grace Hopper, Navy Labs"
    eventlet.sleep(1.0)  # several more timer ticks: nothing is sent twice
    assert len(smtp_server.messages) == 1
    [email] = notify_db.rows(outgoing_emails)
    assert email["status"] == "sent" and email["attempts"] >= 2

//! Queue tickets on the real event store: numbers without gaps per group and
//! day, kept across a restart of the write side; counters calling from many
//! tasks at once, each ticket called exactly once, priority first and then in
//! the order taken among each counter's groups.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use onestop_commands::catalog::CatalogCache;
use onestop_commands::metadata::RequestMeta;
use onestop_commands::queue::QueueService;
use onestop_commands::registry::RegistryService;
use onestop_domain::ids::UnitCode;
use onestop_domain::queue::{
    CounterSetup, GroupCode, PriorityClass, QueueCommand, QueueError, QueueEvent, QueueSetup, ServiceGroup,
};
use onestop_tests::{SERVICE_CENTRE, TestApp};
use tokio::sync::Mutex;

fn group(code: &str) -> GroupCode {
    GroupCode::new(code).unwrap()
}

/// Three groups; counters 1–2 serve A, counter 3 serves B and C, counter 4 all.
fn setup() -> QueueSetup {
    QueueSetup {
        groups: [("A", "Đất đai"), ("B", "Hộ tịch, chứng thực"), ("C", "Kinh doanh")]
            .iter()
            .map(|(code, name)| ServiceGroup { code: group(code), name: (*name).to_owned(), booking_capacity: None })
            .collect(),
        counters: [(1, vec!["A"]), (2, vec!["A"]), (3, vec!["B", "C"]), (4, vec!["A", "B", "C"])]
            .into_iter()
            .map(|(number, groups)| CounterSetup {
                number,
                name: format!("Quầy {number}"),
                groups: groups.into_iter().map(group).collect(),
            })
            .collect(),
    }
}

async fn queue_of(app: &TestApp) -> (QueueService, UnitCode) {
    let store = app.store().await;
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let admin = catalog.snapshot().account_by_username("admin").unwrap().user.actor();
    let unit: UnitCode = SERVICE_CENTRE.parse().unwrap();
    RegistryService::new(store.clone(), catalog.clone())
        .set_up_queue(&admin, &unit, setup(), &RequestMeta::default())
        .await
        .unwrap();
    (QueueService::new(store, catalog, Arc::new(app.clock.clone())), unit)
}

#[tokio::test]
async fn counters_calling_from_32_tasks_call_every_ticket_once_priority_first_then_in_order() {
    let app = TestApp::spawn().await;
    let (queue, unit) = queue_of(&app).await;
    // 200 tickets in three groups, one in seven with priority.
    let mut taken = Vec::new();
    for i in 0..200_u32 {
        let code = ["A", "B", "A", "C", "A"][(i % 5) as usize];
        let priority = (i % 7 == 3).then_some(PriorityClass::Elderly);
        let outcome =
            queue.act(&unit, QueueCommand::Take { group: group(code), priority }, serde_json::json!({})).await.unwrap();
        let QueueEvent::TicketTaken { number, .. } = &outcome.events[0] else { panic!() };
        taken.push((number.clone(), priority.is_some()));
    }
    // Gapless per group.
    for code in ["A", "B", "C"] {
        let seqs: Vec<u32> = taken.iter().filter(|(n, _)| n.group.as_str() == code).map(|(n, _)| n.seq).collect();
        assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>(), "group {code}");
    }

    // 32 tasks, 8 at each counter, each calling and finishing until nothing
    // waits for its counter; half of them through a second write side, as
    // another server process would (its decisions meet ours only at the
    // stream's version check).
    let (second, _) = queue_of(&app).await;
    let calls: Arc<Mutex<Vec<(u16, String)>>> = Arc::default();
    let mut tasks = Vec::new();
    for task in 0..32_u16 {
        let queue = if task % 2 == 0 { queue.clone() } else { second.clone() };
        let (unit, calls) = (unit.clone(), calls.clone());
        let counter = task % 4 + 1;
        let officer = onestop_domain::ids::UserId(uuid::Uuid::from_u128(u128::from(counter)));
        tasks.push(tokio::spawn(async move {
            loop {
                match queue.act(&unit, QueueCommand::CallNext { counter, officer }, serde_json::json!({})).await {
                    Ok(outcome) => {
                        let QueueEvent::TicketCalled { number, .. } = &outcome.events[0] else { panic!() };
                        calls.lock().await.push((counter, number.to_string()));
                        queue
                            .act(&unit, QueueCommand::Finish { counter, cases: vec![] }, serde_json::json!({}))
                            .await
                            .unwrap();
                    }
                    // Another task of this counter holds a ticket: try again.
                    Err(onestop_commands::CommandError::Queue(QueueError::CounterBusy { .. })) => {
                        tokio::time::sleep(std::time::Duration::from_millis(2)).await
                    }
                    Err(onestop_commands::CommandError::Queue(QueueError::NothingWaiting(_))) => return,
                    Err(other) => panic!("{other}"),
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let calls = calls.lock().await.clone();
    let called: BTreeSet<&str> = calls.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(calls.len(), 200, "every ticket called, none twice");
    assert_eq!(called.len(), 200);

    // In the log's order, each call took the best ticket waiting for its
    // counter at that moment: priority first, then the order taken.
    let (state, _) = queue.today(&unit).await.unwrap();
    assert!(state.tickets.values().all(|t| t.status == onestop_domain::queue::TicketStatus::Finished));
    let store = app.store().await;
    let stream = onestop_store::StreamId::new(onestop_domain::queue::stream_name(
        &unit,
        onestop_commands::clock::Clock::now(&app.clock),
    ))
    .unwrap();
    let log: Vec<QueueEvent> = store
        .read_stream_all(&stream)
        .await
        .unwrap()
        .iter()
        .map(|e| QueueEvent::decode(&e.event_type, e.payload.as_str()).unwrap())
        .collect();
    let serves: BTreeMap<u16, Vec<GroupCode>> = setup().counters.into_iter().map(|c| (c.number, c.groups)).collect();
    let priority: BTreeMap<String, bool> = taken.iter().map(|(n, p)| (n.to_string(), *p)).collect();
    let order: BTreeMap<String, usize> = taken.iter().enumerate().map(|(i, (n, _))| (n.to_string(), i)).collect();
    let mut waiting: BTreeSet<String> = BTreeSet::new();
    for event in &log {
        match event {
            QueueEvent::TicketTaken { number, .. } => {
                waiting.insert(number.to_string());
            }
            QueueEvent::TicketCalled { number, counter, .. } => {
                let best = waiting
                    .iter()
                    .filter(|n| serves[counter].iter().any(|g| n.starts_with(&format!("{}-", g.as_str()))))
                    .min_by_key(|n| (!priority[*n], order[*n]))
                    .cloned();
                assert_eq!(best.as_deref(), Some(number.to_string().as_str()), "counter {counter}");
                waiting.remove(&number.to_string());
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn numbers_continue_across_a_restart_and_begin_again_the_next_day() {
    let app = TestApp::spawn().await;
    let (queue, unit) = queue_of(&app).await;
    let take = |queue: QueueService| {
        let unit = unit.clone();
        async move {
            let outcome = queue
                .act(&unit, QueueCommand::Take { group: group("B"), priority: None }, serde_json::json!({}))
                .await
                .unwrap();
            let QueueEvent::TicketTaken { number, .. } = &outcome.events[0] else { panic!() };
            number.to_string()
        }
    };
    assert_eq!(take(queue.clone()).await, "B-0001");
    assert_eq!(take(queue).await, "B-0002");
    // A new write side (a restarted server) reads the day's stream again.
    let (restarted, _) = queue_of(&app).await;
    assert_eq!(take(restarted.clone()).await, "B-0003");
    // The next day in Vietnam starts again at 0001.
    app.clock.set("2026-03-03T07:30:00+07:00".parse().unwrap());
    assert_eq!(take(restarted).await, "B-0001");
    // A group of another unit, a counter serving nothing: refused, nothing written.
    let (state, version) = queue_of(&app).await.0.today(&unit).await.unwrap();
    let (other, _) = queue_of(&app).await;
    let refused =
        other.act(&unit, QueueCommand::Take { group: group("Z"), priority: None }, serde_json::json!({})).await;
    assert!(matches!(refused, Err(onestop_commands::CommandError::Queue(QueueError::UnknownGroup(_)))));
    assert_eq!(other.today(&unit).await.unwrap(), (state, version));
}

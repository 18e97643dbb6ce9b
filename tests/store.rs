//! The plan store, on SQLite and (when CI provides one) PostgreSQL: the lifecycle's
//! rules, roles, concurrent approvals, idempotent saves, the audit chain against
//! tampering, and an old database upgraded by the migrations.

mod common;
#[path = "common/stores.rs"]
mod stores;

use fluidity::store::{Actor, PlanFilter, PlanState, Role, Store, StoreError};
use fluidity_solvers::lifecycle::{Actual, Triggers};
use fluidity_solvers::{plan, Plan, PlanOptions, Scenario};
use stores::{fresh_urls, raw};

fn scenario(growth_current: f64) -> Scenario {
    Scenario::from_json(&format!(
        r#"{{"name": "q", "periods": [{{"id": "oct"}}, {{"id": "nov"}}, {{"id": "dec"}}],
            "resources": [{{"id": "eng", "capacity": [10]}}],
            "initiatives": [
              {{"id": "growth", "requirements": {{"eng": 1}}, "current": {growth_current},
               "value": [{{"upTo": 6, "perUnit": 5}}]}},
              {{"id": "ops", "kind": "OPERATIONS", "requirements": {{"eng": 1}}, "current": 4,
               "value": [{{"perUnit": 2}}]}}]}}"#
    ))
    .unwrap()
}

fn planned(s: &Scenario) -> Plan {
    plan(s, &PlanOptions::default()).unwrap()
}

fn approver(name: &str) -> Actor {
    Actor {
        name: name.into(),
        role: Role::Approver,
    }
}

fn planner(name: &str) -> Actor {
    Actor {
        name: name.into(),
        role: Role::Planner,
    }
}

async fn save(store: &Store, who: &Actor, portfolio: &str) -> i64 {
    let s = scenario(2.0);
    store
        .save_plan(who, portfolio, &s, &planned(&s), None, None)
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn an_approval_supersedes_the_portfolios_approved_plan_and_confirms_its_changes() {
    for url in fresh_urls("supersede").await {
        let store = Store::open(&url).await.unwrap();
        let first = save(&store, &planner("alice"), "q4").await;
        let approved = store
            .approve(&approver("bob"), first, "as agreed")
            .await
            .unwrap();
        let approval = approved.approval.unwrap();
        assert_eq!(approval.by, "bob");
        // growth 2 -> 6 and ops 4 -> 4: one change against today.
        assert_eq!(approval.changes.len(), 1, "{url}: {:?}", approval.changes);
        let second = save(&store, &planner("alice"), "q4").await;
        store
            .approve(&approver("bob"), second, "again")
            .await
            .unwrap();
        assert_eq!(
            store.plan(first).await.unwrap().state,
            PlanState::Superseded,
            "{url}"
        );
        assert_eq!(store.approved("q4").await.unwrap().unwrap().id, second);
        // the same plan against its predecessor changes nothing
        let again = store.plan(second).await.unwrap().approval.unwrap();
        assert!(again.changes.is_empty(), "{url}");
    }
}

#[tokio::test]
async fn only_a_draft_is_approved_and_only_with_a_comment() {
    for url in fresh_urls("draft-only").await {
        let store = Store::open(&url).await.unwrap();
        let id = save(&store, &planner("alice"), "q4").await;
        assert!(matches!(
            store.approve(&approver("bob"), id, "  ").await,
            Err(StoreError::Invalid(_))
        ));
        store.approve(&approver("bob"), id, "ok").await.unwrap();
        assert!(
            matches!(
                store.approve(&approver("bob"), id, "ok").await,
                Err(StoreError::Conflict(_))
            ),
            "{url}"
        );
        assert!(matches!(
            store.withdraw(&approver("bob"), id).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.approve(&approver("bob"), 99, "ok").await,
            Err(StoreError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn a_planner_cannot_approve_acknowledge_or_withdraw_anothers_draft() {
    for url in fresh_urls("roles").await {
        let store = Store::open(&url).await.unwrap();
        let id = save(&store, &planner("alice"), "q4").await;
        assert!(matches!(
            store.approve(&planner("alice"), id, "mine").await,
            Err(StoreError::PermissionDenied(_))
        ));
        assert!(matches!(
            store.withdraw(&planner("carol"), id).await,
            Err(StoreError::PermissionDenied(_))
        ));
        store.withdraw(&planner("alice"), id).await.unwrap();
        assert_eq!(store.plan(id).await.unwrap().state, PlanState::Withdrawn);
        assert!(matches!(
            store.acknowledge(&planner("alice"), 1).await,
            Err(StoreError::PermissionDenied(_))
        ));
    }
}

#[tokio::test]
async fn two_concurrent_approvals_in_one_portfolio_leave_exactly_one_approved() {
    for url in fresh_urls("race").await {
        for round in 0..5 {
            let portfolio = format!("q{round}");
            let store = Store::open(&url).await.unwrap();
            let a = save(&store, &planner("alice"), &portfolio).await;
            let b = save(&store, &planner("alice"), &portfolio).await;
            // Two stores (two pools), as two replicas would have.
            let other = Store::open(&url).await.unwrap();
            let (bob, eve) = (approver("bob"), approver("eve"));
            let (ra, rb) = tokio::join!(store.approve(&bob, a, "a"), other.approve(&eve, b, "b"));
            let approved = store
                .list_plans(&PlanFilter {
                    portfolio: Some(portfolio.clone()),
                    state: Some(PlanState::Approved),
                    after: 0,
                    limit: 10,
                })
                .await
                .unwrap();
            assert_eq!(approved.len(), 1, "{url} round {round}");
            // Either one won and the other was refused, or they ran one after the
            // other (the second superseding the first): never two approved.
            match (ra, rb) {
                (Ok(_), Err(StoreError::Conflict(_)))
                | (Err(StoreError::Conflict(_)), Ok(_))
                | (Ok(_), Ok(_)) => {}
                other => panic!("{url}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_retried_save_with_the_same_key_stores_once() {
    for url in fresh_urls("idempotent").await {
        let store = Store::open(&url).await.unwrap();
        let s = scenario(2.0);
        let p = planned(&s);
        let first = store
            .save_plan(&planner("a"), "q4", &s, &p, None, Some("k1"))
            .await
            .unwrap();
        let again = store
            .save_plan(&planner("a"), "q4", &s, &p, None, Some("k1"))
            .await
            .unwrap();
        assert_eq!(first.id, again.id);
        assert!(!first.already_saved && again.already_saved);
        let all = store
            .list_plans(&PlanFilter {
                limit: 100,
                ..PlanFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "{url}");
    }
}

#[tokio::test]
async fn two_saves_racing_with_one_key_store_once() {
    for url in fresh_urls("idempotent-race").await {
        let (a, b) = (
            Store::open(&url).await.unwrap(),
            Store::open(&url).await.unwrap(),
        );
        let s = scenario(2.0);
        let p = planned(&s);
        let who = planner("a");
        for round in 0..5 {
            let key = format!("k{round}");
            let (x, y) = tokio::join!(
                a.save_plan(&who, "q4", &s, &p, None, Some(&key)),
                b.save_plan(&who, "q4", &s, &p, None, Some(&key))
            );
            let (x, y) = (x.unwrap(), y.unwrap());
            assert_eq!(x.id, y.id, "{url} round {round}");
            assert!(
                x.already_saved != y.already_saved,
                "{url}: exactly one stored it"
            );
        }
    }
}

#[tokio::test]
async fn actuals_raise_each_alert_once_and_an_approver_acknowledges_it() {
    for url in fresh_urls("alerts").await {
        let store = Store::open(&url).await.unwrap();
        let id = save(&store, &planner("alice"), "q4").await;
        store.approve(&approver("bob"), id, "ok").await.unwrap();
        let triggers = Triggers {
            max_relative_deviation: Some(0.2),
            ..Triggers::default()
        };
        store
            .set_triggers(&approver("bob"), "q4", &triggers)
            .await
            .unwrap();
        let behind = [Actual {
            initiative: "growth".into(),
            period: "oct".into(),
            activity: 3.0,
        }];
        let (_, raised) = store
            .record_actuals(&planner("fin"), "q4", &behind)
            .await
            .unwrap();
        assert_eq!(raised.len(), 1, "{url}");
        let (_, again) = store
            .record_actuals(&planner("fin"), "q4", &behind)
            .await
            .unwrap();
        assert!(again.is_empty(), "an alert is raised once");
        store
            .acknowledge(&approver("bob"), raised[0].id)
            .await
            .unwrap();
        assert!(store.alerts(Some("q4"), false).await.unwrap().is_empty());
        assert_eq!(store.alerts(Some("q4"), true).await.unwrap().len(), 1);
        assert!(matches!(
            store.acknowledge(&approver("bob"), raised[0].id).await,
            Err(StoreError::Conflict(_))
        ));
    }
}

#[tokio::test]
async fn bad_actuals_store_nothing() {
    for url in fresh_urls("bad-actuals").await {
        let store = Store::open(&url).await.unwrap();
        let id = save(&store, &planner("alice"), "q4").await;
        store.approve(&approver("bob"), id, "ok").await.unwrap();
        let before = store.audit_log(0, 1000).await.unwrap().len();
        let bad = [
            Actual {
                initiative: "growth".into(),
                period: "oct".into(),
                activity: 3.0,
            },
            Actual {
                initiative: "nobody".into(),
                period: "oct".into(),
                activity: 1.0,
            },
        ];
        match store.record_actuals(&planner("fin"), "q4", &bad).await {
            Err(StoreError::Invalid(problems)) => {
                assert_eq!(problems[0].path, "actuals[1].initiative")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            store.audit_log(0, 1000).await.unwrap().len(),
            before,
            "{url}"
        );
        let (_, _, run) = store.execution("q4").await.unwrap();
        assert!(run.periods.is_empty(), "nothing recorded");
    }
}

#[tokio::test]
async fn editing_or_deleting_an_audit_entry_is_detected_and_named() {
    for url in fresh_urls("tamper").await {
        let store = Store::open(&url).await.unwrap();
        for _ in 0..3 {
            save(&store, &planner("alice"), "q4").await;
        }
        assert_eq!(store.verify().await.unwrap().first_broken, None);
        raw(&url, "UPDATE audit SET actor = 'mallory' WHERE seq = 2").await;
        let found = store.verify().await.unwrap();
        assert_eq!(
            found.first_broken.as_ref().map(|b| b.0),
            Some(2),
            "{url}: {found:?}"
        );
        assert!(found.first_broken.unwrap().1.contains("edited"));
    }
    for url in fresh_urls("tamper-delete").await {
        let store = Store::open(&url).await.unwrap();
        for _ in 0..3 {
            save(&store, &planner("alice"), "q4").await;
        }
        raw(&url, "DELETE FROM audit WHERE seq = 2").await;
        let found = store.verify().await.unwrap();
        assert_eq!(
            found.first_broken.map(|b| b.0),
            Some(3),
            "{url}: the entry after the gap"
        );
    }
}

#[tokio::test]
async fn editing_a_stored_plan_is_detected() {
    for url in fresh_urls("tamper-plan").await {
        let store = Store::open(&url).await.unwrap();
        let id = save(&store, &planner("alice"), "q4").await;
        raw(&url, &format!("UPDATE plans SET plan = REPLACE(plan, '\"objective\"', '\"objective\" ') WHERE id = {id}")).await;
        let found = store.verify().await.unwrap();
        assert_eq!(found.first_broken, None);
        assert_eq!(found.altered_plans, vec![id], "{url}");
    }
}

#[tokio::test]
async fn an_old_database_is_upgraded_with_its_records_intact() {
    let dir = std::env::temp_dir().join(format!("fluidity-migrations-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("old")).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/0001_plans_and_audit.sql"
        ),
        dir.join("old/0001_plans_and_audit.sql"),
    )
    .unwrap();
    let old = sqlx::migrate::Migrator::new(dir.join("old")).await.unwrap();
    let mut urls = vec![format!("sqlite:{}", dir.join("store.db").display())];
    urls.extend(stores::fresh_postgres("upgrade").await);
    for url in urls {
        let before = Store::open_with(&url, &old).await.unwrap();
        let id = save(&before, &planner("alice"), "q4").await;
        before.approve(&approver("bob"), id, "ok").await.unwrap();
        drop(before);
        let after = Store::open(&url).await.unwrap();
        assert_eq!(
            after.plan(id).await.unwrap().state,
            PlanState::Approved,
            "{url}"
        );
        // what the second migration adds works on the upgraded database
        let a = [Actual {
            initiative: "growth".into(),
            period: "oct".into(),
            activity: 6.0,
        }];
        after
            .record_actuals(&planner("fin"), "q4", &a)
            .await
            .unwrap();
        assert_eq!(after.verify().await.unwrap().first_broken, None);
    }
}

#[tokio::test]
async fn a_store_url_of_another_kind_is_refused_clearly() {
    let e = Store::open("mysql://x").await.unwrap_err();
    assert!(e.to_string().contains("sqlite:PATH or postgres://"), "{e}");
}

#[tokio::test]
async fn records_edited_behind_the_stores_back_are_named_though_the_chain_holds() {
    let edits = [
        (
            "UPDATE plans SET approval_comment = 'forged' WHERE id = 1",
            "plan 1",
        ),
        (
            "UPDATE plans SET approved_by = 'mallory' WHERE id = 1",
            "plan 1",
        ),
        (
            "UPDATE plans SET state = 'SUPERSEDED' WHERE id = 1",
            "plan 1",
        ),
        (
            "UPDATE plans SET priority_changes = '[]' WHERE id = 1",
            "plan 1",
        ),
        (
            "DELETE FROM plans WHERE id = 2",
            "plan 2 was saved but is gone",
        ),
        (
            "UPDATE actuals SET activity = 6 WHERE initiative = 'growth'",
            "actuals: q4 oct growth is 6",
        ),
        ("DELETE FROM actuals", "was recorded but is gone"),
        (
            "UPDATE alerts SET acknowledged_by = 'mallory'",
            "alert 1 is acknowledged",
        ),
        ("DELETE FROM alerts", "alert 1 was raised but is gone"),
        ("UPDATE triggers SET config = '{}'", "the triggers of q4"),
    ];
    for (k, (sql, named)) in edits.iter().enumerate() {
        for url in fresh_urls(&format!("replay-{k}")).await {
            let store = Store::open(&url).await.unwrap();
            let id = save(&store, &planner("alice"), "q4").await;
            save(&store, &planner("alice"), "q4").await;
            store
                .approve(&approver("bob"), id, "as agreed")
                .await
                .unwrap();
            let triggers = Triggers {
                max_relative_deviation: Some(0.2),
                ..Triggers::default()
            };
            store
                .set_triggers(&approver("bob"), "q4", &triggers)
                .await
                .unwrap();
            let behind = [Actual {
                initiative: "growth".into(),
                period: "oct".into(),
                activity: 3.0,
            }];
            store
                .record_actuals(&planner("fin"), "q4", &behind)
                .await
                .unwrap();
            let clean = store.verify().await.unwrap();
            assert!(
                clean.records_differ.is_empty(),
                "{url}: {:?}",
                clean.records_differ
            );
            raw(&url, sql).await;
            let found = store.verify().await.unwrap();
            assert_eq!(found.first_broken, None, "the chain itself holds");
            assert!(
                found.records_differ.iter().any(|d| d.contains(named)),
                "{url} {sql}: {:?}",
                found.records_differ
            );
        }
    }
}

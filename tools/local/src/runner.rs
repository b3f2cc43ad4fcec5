//! Wires the Lambda functions' handlers to in-process adapters and serves the API on localhost.
//!
//! The same code as on AWS: the schedule's trigger on a timer instead of an EventBridge schedule, and
//! every event the in-process bus delivers through `handlers::route`, the routing the sync and score
//! Lambdas use, instead of EventBridge rules; the api function's router under `axum::serve` instead
//! of `lambda_http`.

use crate::backfill::Gate;
use crate::cli::Args;
use crate::data_file::{save_after_change, DataFile};
use crate::portal::{close_interrupted_runs, prepare_tenant, start_portal, Portal};
use crate::progress::SyncBars;
use crate::sources::{DemoSources, FirstSyncReport};
use crate::timers::{schedule, shutdown_signal, stopping};
use hubspot_sandbox::Sandbox;
use secrecy::{ExposeSecret, SecretString};
use shared::api::config::DEFAULT_TENANT_SECRET_PREFIX;
use shared::api::{router, ApiConfig, ApiState, Authenticator};
use shared::bus::InProcessBus;
use shared::channels::UrlPolicy;
use shared::connector::engine::{NoProgress, SyncProgress};
use shared::domain::{Platform, SyncMode, SyncStatus, SyncTrigger, TenantId};
use shared::events::{ProductEvent, SyncRequested};
use shared::handlers::route::{route, Function, Handled, Handlers, Trigger};
use shared::ports::{ConnectionSources, EventBus, StoreError, VaultError};
use shared::sources::hubspot::oauth::OAuthSettings;
use shared::sources::hubspot::HubSpotSources;
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Who the development token says the caller is (it appears as `status_changed_by`).
const LOCAL_USER: &str = "local-user";
/// A sync invocation gets the same budget as the sync Lambda; a longer sync continues itself.
const SYNC_DEADLINE: Duration = Duration::from_secs(15 * 60);
/// Open connections get this long to finish after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("the data file: {0}")]
    DataFile(StoreError),
    #[error("the store: {0}")]
    Store(#[from] StoreError),
    #[error("the vault: {0}")]
    Vault(#[from] VaultError),
    #[error("the HubSpot sandbox did not start: {0}")]
    Sandbox(String),
    #[error("the {platform} simulator: {message}")]
    Simulator {
        platform: &'static str,
        message: String,
    },
    #[error(
        "cannot listen on {address}: {source} (try another --port, or --port 0 for a free one)"
    )]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error("invalid URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("the event bus: {0}")]
    Bus(#[from] shared::ports::BusError),
    #[error("the OpenID Connect issuer: {0}")]
    Oidc(String),
}

pub async fn run(args: Args) -> Result<(), RunnerError> {
    let store = Arc::new(match &args.data_file {
        Some(path) => MemoryStore::open(path).map_err(RunnerError::DataFile)?,
        None => MemoryStore::new(),
    });
    // Leases in the file were taken by a runner that is gone (killed before it could give them
    // back); left there, they would refuse every sync until they ran out.
    let stale = store.clear_leases().map_err(RunnerError::DataFile)?;
    if stale > 0 {
        tracing::info!(
            leases = stale,
            "cleared the leases a stopped run left in the data file"
        );
    }
    let data_file = args
        .data_file
        .as_ref()
        .map(|_| DataFile::new(store.clone()));
    let vault: Arc<InProcessVault> = Arc::new(InProcessVault::new());
    let bus = InProcessBus::new();
    let events = bus.subscribe();

    let portal = start_portal(&args).await?;
    let tenant = prepare_tenant(store.as_ref(), vault.as_ref(), &portal, &args).await?;
    close_interrupted_runs(store.as_ref(), &tenant.id).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let simulated: Vec<Platform> = crate::sources::SIMULATED
        .into_iter()
        .filter(|p| args.simulator_enabled(*p))
        .collect();
    let context = crate::sources::Context {
        seed: args.seed,
        companies: &crate::sources::Companies::of(portal.sandbox.as_ref()),
        http: http.clone(),
        vault: vault.clone(),
    };
    let demo = crate::sources::start(
        &simulated,
        context,
        &store,
        &tenant.id,
        DEFAULT_TENANT_SECRET_PREFIX,
    )
    .await?;

    // Decided before the first sync can score anything: a tenant never scored gets its past days.
    let backfill_gate = if !args.no_backfill && crate::backfill::needed(&store, &tenant.id).await? {
        Some(Gate::new(
            store.clone(),
            tenant.id.clone(),
            demo.connection_ids().cloned(),
        ))
    } else {
        None
    };

    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| RunnerError::Bind { address, source })?;
    let address = listener
        .local_addr()
        .map_err(|source| RunnerError::Bind { address, source })?;
    let base_url = format!("http://{address}");

    let dev_token = SecretString::from(uuid::Uuid::new_v4().simple().to_string());
    let oidc = args.oidc_settings();
    let jwt_check = crate::jwt_check::discover(&oidc).await?;
    let mut state = ApiState::new(
        store.clone(),
        Arc::new(bus.clone()),
        vault.clone(),
        api_config(&base_url, &portal, oidc.as_ref())?,
        match &oidc {
            Some(oidc) => oidc.authenticator(),
            None => Authenticator::DevelopmentToken {
                token: dev_token.clone(),
                tenant_id: tenant.id.clone(),
                subject: LOCAL_USER.to_owned(),
            },
        },
    );
    state = state.with_connection_sources(demo.sources.clone());
    // The export bucket in memory; its links are served by this server.
    let objects = crate::objects::LocalObjects {
        inner: shared::objects::MemoryObjectStore::new(),
        base_url: base_url.clone(),
    };
    state = state.with_object_store(Some(Arc::new(objects.clone())));
    // Alert channels may point at this machine here (a developer's receiver, the browser test's),
    // and test alerts really go out to them.
    let local_urls = shared::channels::SenderOptions {
        url_policy: UrlPolicy::LOCAL,
        ..Default::default()
    };
    let alerts = shared::channels::ChannelSender::new(vault.clone(), None, local_urls)?;
    state = state
        .with_channel_urls(UrlPolicy::LOCAL)
        .with_alert_sender(Arc::new(alerts));

    let oauth = crate::oauth::connect_app(&state, &portal.oauth_app_secret, &portal.api_base_url)
        .await
        .map_err(RunnerError::Sandbox)?;
    print_banner(&args, &portal, &base_url, &dev_token);
    demo.print_started();

    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let server = {
        let mut stopped = stopped.clone();
        let app = match &data_file {
            Some(file) => router(state).layer(axum::middleware::from_fn_with_state(
                file.clone(),
                save_after_change,
            )),
            None => router(state),
        };
        let app = app.merge(crate::objects::routes(objects.inner.clone()));
        let app = crate::jwt_check::layer(app, jwt_check);
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stopping(&mut stopped).await })
                .await
        })
    };

    let sources = Arc::new(HubSpotSources::new(
        http,
        portal.api_base_url.clone(),
        oauth,
        vault.clone(),
        store.clone(),
    ));
    let (notify_triggers, notify_feed) = tokio::sync::mpsc::unbounded_channel();
    let notify =
        crate::alerts::notify_function(store.clone(), vault.clone(), &format!("{base_url}/"))?;
    tasks.spawn(crate::alerts::feed(
        Arc::new(notify),
        notify_feed,
        stopped.clone(),
    ));
    tasks.spawn(crate::alerts::release_hourly(
        notify_triggers.clone(),
        stopped.clone(),
    ));
    let pipeline = Pipeline {
        store: store.clone(),
        bus: bus.clone(),
        sources,
        connections: demo.sources.clone(),
        objects: Arc::new(objects),
        vault: vault.clone(),
        report: Arc::new(FirstSyncReport::new(
            tenant.id.clone(),
            demo.running
                .iter()
                .map(|r| (r.platform, r.connection_id.clone())),
        )),
        first_sync_bars: Arc::new(SyncBars::new(!args.no_progress)),
        dashboard_url: format!("{base_url}/#token={}", dev_token.expose_secret()),
        data_file: data_file.clone(),
        notify: notify_triggers.clone(),
        backfill_gate: backfill_gate.clone(),
    };
    if let Some(gate) = backfill_gate {
        tasks.spawn(gate.run(stopped.clone()));
    }
    tasks.spawn(pipeline.clone().deliver(events, stopped.clone()));
    tasks.spawn(schedule(
        store.clone(),
        bus.clone(),
        tenant.id.clone(),
        args.sync_interval,
        stopped.clone(),
    ));
    if let Some(file) = &data_file {
        tasks.spawn(file.clone().save_periodically(stopped.clone()));
    }

    let first_sync = SyncRequested::tenant(
        tenant.id.clone(),
        SyncMode::Incremental,
        SyncTrigger::Local,
        chrono::Utc::now(),
    );
    let mut first_syncs = vec![ProductEvent::SyncRequested(first_sync.clone())];
    for connection_id in demo.connection_ids() {
        let on_connection = first_sync.clone().on_connection(connection_id.clone());
        first_syncs.push(ProductEvent::SyncRequested(on_connection));
    }
    bus.publish(&first_syncs).await?;

    let served = tokio::select! {
        () = shutdown_signal() => None,
        result = server => Some(result),
    };
    eprintln!("Stopping…");
    let _ = stop.send(true);
    finish(
        store.as_ref(),
        &tenant.id,
        &mut tasks,
        portal.sandbox,
        demo,
        &args.data_file,
    )
    .await?;
    match served {
        // The server ended by itself: report why, now that the cleanup is done.
        Some(Ok(Ok(()))) => Ok(()),
        Some(Ok(Err(e))) => Err(RunnerError::Serve(e)),
        Some(Err(e)) => Err(RunnerError::Serve(std::io::Error::other(e))),
        None => {
            eprintln!("Stopped.");
            Ok(())
        }
    }
}

async fn finish(
    store: &MemoryStore,
    tenant_id: &TenantId,
    tasks: &mut JoinSet<()>,
    sandbox: Option<Sandbox>,
    demo: DemoSources,
    data_file: &Option<PathBuf>,
) -> Result<(), RunnerError> {
    if tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tasks.shutdown().await;
    }
    close_interrupted_runs(store, tenant_id).await?;
    // A sync cut short above never gave its lease back; this process is its only holder.
    store.clear_leases()?;
    if let Some(path) = data_file {
        store.save().map_err(RunnerError::DataFile)?;
        eprintln!("Data saved to {}.", path.display());
    }
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    demo.shutdown().await;
    Ok(())
}

fn api_config(
    base_url: &str,
    portal: &Portal,
    oidc: Option<&crate::jwt_check::OidcSettings>,
) -> Result<ApiConfig, RunnerError> {
    Ok(ApiConfig {
        public_base_url: url::Url::parse(base_url)?,
        hubspot: OAuthSettings {
            api_base_url: url::Url::parse(&portal.api_base_url)?,
            authorize_url: url::Url::parse(&portal.authorize_url)?,
            ..OAuthSettings::new("connected-insights/hubspot-app")
        },
        tenant_claim: oidc
            .map_or(shared::api::auth::DEFAULT_TENANT_CLAIM, |o| &o.tenant_claim)
            .to_owned(),
        role_claim: oidc
            .map_or(shared::api::auth::DEFAULT_ROLE_CLAIM, |o| &o.role_claim)
            .to_owned(),
        tenant_secret_prefix: DEFAULT_TENANT_SECRET_PREFIX.to_owned(),
        dashboard_sign_in: oidc.map(|o| o.dashboard_sign_in()),
        account_hosts: Default::default(),
    })
}

fn print_banner(args: &Args, portal: &Portal, base_url: &str, token: &SecretString) {
    match &portal.sandbox {
        Some(_) => {
            let c = args.sandbox_config();
            println!(
                "Demo portal: {} companies, {} contacts, {} deals, {} tickets, {} engagements (seed {}).",
                c.companies, c.contacts, c.deals, c.tickets, c.engagements, c.seed
            );
        }
        None => println!("Syncing your HubSpot portal at {}.", portal.api_base_url),
    }
    if let Some(path) = &args.data_file {
        println!("Data file: {}", path.display());
    }
    println!("API: {base_url}/v1 (Authorization: Bearer <the token in the URL below>)");
    // The token rides in the fragment, which browsers never send to a server or in a Referer; the
    // page moves it to session storage and removes it from the address bar.
    println!("Dashboard: {base_url}/#token={}", token.expose_secret());
    println!("First sync running… (Ctrl-C stops)");
}

/// Hands each bus event to its handler, as EventBridge rules hand them to the Lambdas.
#[derive(Clone)]
struct Pipeline {
    store: Arc<MemoryStore>,
    bus: InProcessBus,
    sources: Arc<HubSpotSources<MemoryStore>>,
    /// The simulated platforms' factories (PayPal, NinjaOne, Pax8, Microsoft 365), by platform.
    connections: ConnectionSources,
    /// The export bucket (in memory).
    objects: Arc<crate::objects::LocalObjects>,
    /// The tenant's secrets, which erasures delete.
    vault: Arc<InProcessVault>,
    report: Arc<FirstSyncReport>,
    first_sync_bars: Arc<SyncBars>,
    dashboard_url: String,
    data_file: Option<DataFile>,
    /// notify's triggers, handed to it in batches (`crate::alerts::feed`).
    notify: tokio::sync::mpsc::UnboundedSender<Trigger>,
    /// Holds scoring until the first start's history backfill ran (`None`: no backfill).
    backfill_gate: Option<Arc<Gate>>,
}

impl Pipeline {
    async fn deliver(
        self,
        mut events: tokio::sync::mpsc::UnboundedReceiver<shared::bus::DeliveredEvent>,
        mut stopped: watch::Receiver<bool>,
    ) {
        let mut handlers = JoinSet::new();
        loop {
            tokio::select! {
                () = stopping(&mut stopped) => break,
                delivered = events.recv() => {
                    let Some(delivered) = delivered else { break };
                    match ProductEvent::from_parts(&delivered.detail_type, &delivered.detail.to_string()) {
                        Ok(event) => { handlers.spawn(self.clone().handle(event)); }
                        Err(error) => tracing::error!(%error, "an event no handler can read was dropped"),
                    }
                }
                Some(_) = handlers.join_next(), if !handlers.is_empty() => {}
            }
        }
        // A sync cut short here is closed as failed by the shutdown.
        handlers.shutdown().await;
    }

    /// Runs `event` through the same routing the Lambdas use, then tells the person at the terminal.
    async fn handle(self, event: ProductEvent) {
        if let (ProductEvent::TenantSynced(_), Some(gate)) = (&event, &self.backfill_gate) {
            gate.wait().await;
        }
        let trigger = Trigger::from(event.clone());
        if trigger.handled_by() == Some(Function::Notify) {
            // notify reads a queue in batches; its feed is the queue here.
            if self.notify.send(trigger).is_err() {
                tracing::debug!("notify has stopped; an event for it was dropped");
            }
            return;
        }
        // The bars follow the HubSpot portal's first sync; the connections' run beside it unseen.
        let first_sync = matches!(&event, ProductEvent::SyncRequested(request)
            if request.requested_by == SyncTrigger::Local && request.connection_id.is_none());
        let progress: &dyn SyncProgress = if first_sync {
            self.first_sync_bars.as_ref()
        } else {
            &NoProgress
        };
        let handlers = Handlers {
            store: &self.store,
            bus: &self.bus,
            sources: Some(self.sources.as_ref()),
            connections: &self.connections,
            objects: Some(self.objects.as_ref()),
            erasure: Some(shared::handlers::erasure::ErasurePorts {
                vault: self.vault.as_ref(),
                objects: Some(self.objects.as_ref()),
            }),
            // The runner's timer ticks at the tenants' own interval (`--sync-interval`).
            schedule: shared::domain::schedule_slot::ScheduleTicks::EVERY_TICK,
        };
        let detail_type = event.detail_type();
        let deadline = Instant::now() + SYNC_DEADLINE;
        let started = chrono::Utc::now();
        let handled = route(&handlers, trigger, deadline, progress).await;
        if first_sync {
            self.first_sync_bars.clear();
        }
        if let (ProductEvent::SyncRequested(request), Some(gate)) = (&event, &self.backfill_gate) {
            match &handled {
                Ok(Handled::Synced(run)) => {
                    gate.sync_ended(run.connection_id.as_ref(), Some(run.status))
                }
                Err(_) => gate.sync_ended(request.connection_id.as_ref(), None),
                Ok(_) => {}
            }
        }
        match handled {
            Ok(Handled::Synced(run)) if run.status == SyncStatus::Failed => eprintln!(
                "Sync {}{} failed: {}",
                run.connection_id
                    .as_ref()
                    .map(|c| format!(" of {c}"))
                    .unwrap_or_default(),
                run.sync_id,
                run.error.as_deref().unwrap_or("no reason recorded")
            ),
            Ok(Handled::Synced(run)) => {
                self.report.synced(&run);
                tracing::info!(sync_id = %run.sync_id, status = ?run.status, "sync done")
            }
            Ok(Handled::Scored(scores)) => {
                if self.report.portal_scored(started) {
                    println!(
                        "First sync finished: {} clients scored, {} insights opened.",
                        scores.clients_scored, scores.insights_opened
                    );
                    println!("Open the dashboard: {}", self.dashboard_url);
                }
                self.report.scored(&self.store, started).await;
                if let Some(file) = &self.data_file {
                    file.save_or_report().await;
                }
            }
            Ok(Handled::Exported(job)) => {
                tracing::info!(export = %job.id, status = ?job.status, "export done")
            }
            Ok(Handled::Erased(erasure)) => {
                tracing::info!(erasure = %erasure.id, status = ?erasure.status, "erasure step done")
            }
            Ok(Handled::Dispatched(_) | Handled::Ignored) => {
                tracing::debug!(detail_type, "event handled")
            }
            Err(error) if detail_type == "TenantSynced" => eprintln!("Scoring failed: {error}"),
            Err(error) if detail_type == "ExportRequested" => eprintln!("Export failed: {error}"),
            Err(error) => eprintln!("Sync failed: {error}"),
        }
    }
}

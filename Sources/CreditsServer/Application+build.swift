import CreditsCore
import CreditsStore
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the CallCredits HTTP application: the routes, the hold sweeper, the wallet alert evaluator, the
/// webhook sender, the cycle reset scheduler, the campaign runner (by default over the built-in simulated carrier),
/// and any extra `services` (such as the store's own). The caller runs it with `app.runService()`, which handles
/// SIGINT/SIGTERM. `webhookTransport` replaces the HTTP client the sender makes (tests); `payments` replaces the
/// payment provider the configuration chooses (Stripe when configured, else the built-in one).
public func buildApplication(
    configuration: ServerConfiguration, store: any ServiceStore, clock: any CreditsClock = SystemClock(),
    campaignRunner: CampaignRunner? = nil, services: [any Service] = [], logger: Logger,
    webhookTransport: (@Sendable () -> any WebhookTransport)? = nil, payments: (any PaymentProvider)? = nil
) -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let watch = WalletWatch()
    let api = CreditsAPI(
        store: store, clock: clock, configuration: configuration, metrics: metrics, logger: logger, walletWatch: watch,
        runner: campaignRunner, payments: payments)
    let router = makeRouter(api: api)
    let sweeper = HoldSweeper(
        store: store, intervalSeconds: configuration.holdSweepIntervalSeconds, logger: logger, metrics: metrics)
    let resets = CycleResetScheduler(
        store: store, clock: clock, intervalSeconds: configuration.cycleResetIntervalSeconds, logger: logger,
        metrics: metrics)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "callcredits"),
        services: services + [
            sweeper,
            WalletAlertEvaluator(
                store: store, watch: watch, intervalSeconds: configuration.walletAlertIntervalSeconds, logger: logger,
                metrics: metrics),
            WebhookSender(
                store: store, clock: clock, configuration: configuration.webhookSender, logger: logger,
                metrics: metrics,
                makeTransport: webhookTransport ?? { HTTPClientWebhookTransport() }),
            resets,
        ] + api.runner.services,
        logger: logger)
}

/// The router with the middleware and every route of the table.
func makeRouter(api: CreditsAPI) -> Router<CreditsRequestContext> {
    let router = Router(context: CreditsRequestContext.self)
    // Middleware applies only to routes added after it, so it goes first.
    router.add(middleware: APIMiddleware(api: api))
    for route in api.routes {
        router.on(RouterPath(route.path), method: route.method) { request, context in
            await api.respond(to: route, request: request, context: context)
        }
    }
    Portal(api: api).addRoutes(to: router)
    return router
}

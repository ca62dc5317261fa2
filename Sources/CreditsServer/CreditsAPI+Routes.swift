import Hummingbird

/// The route table: the one list the router registers and the OpenAPI test holds against the document.
extension CreditsAPI {
    var routes: [Route] {
        [
            Route(.get, "/health", statuses: [200, 503], .open(health)),
            Route(.get, "/metrics", statuses: [200], .open(metricsText)),
            Route(.get, "/openapi.yaml", statuses: [200, 500], .open(openAPI)),
            // Operator (admin token).
            Route(.post, "/v1/workspaces", statuses: bodyStatuses.union([201]), .admin(createWorkspace)),
            Route(.get, "/v1/workspaces/{workspaceId}", statuses: [200, 404], .admin(getWorkspace)),
            Route(
                .post, "/v1/workspaces/{workspaceId}/credits", statuses: bodyStatuses.union([200, 201, 402, 404, 409]),
                .admin(grantCredits)),
            // Workspace (API key).
            Route(.get, "/v1/balance", statuses: [200, 404], .apiKey(balance)),
            Route(.get, "/v1/entries", statuses: [200, 400, 404, 422], .apiKey(entries)),
            Route(.post, "/v1/holds", statuses: bodyStatuses.union([200, 201, 402, 404, 409]), .apiKey(createHold)),
            Route(.get, "/v1/holds/{attemptId}", statuses: [200, 404, 422], .apiKey(getHold)),
            Route(.post, "/v1/holds/{attemptId}/capture", statuses: [200, 404, 409, 422], .apiKey(captureHold)),
            Route(
                .post, "/v1/holds/{attemptId}/release", statuses: bodyStatuses.union([200, 404, 409]),
                .apiKey(releaseHold)),
            // Call attempts, provider callbacks, the Do Not Call list and usage.
            Route(.post, "/v1/attempts", statuses: bodyStatuses.union([200, 201, 404, 409]), .apiKey(createAttempt)),
            Route(.get, "/v1/attempts", statuses: [200, 400, 404, 422], .apiKey(listAttempts)),
            Route(.get, "/v1/attempts/{attemptId}", statuses: [200, 404, 422], .apiKey(getAttempt)),
            Route(
                .post, "/v1/attempts/{attemptId}/events", statuses: bodyStatuses.union([200, 402, 404, 409]),
                .apiKey(attemptEvent)),
            Route(
                .post, "/v1/attempts/{attemptId}/cancel", statuses: bodyStatuses.union([200, 404, 409]),
                .apiKey(cancelAttempt)),
            Route(
                .post, "/v1/callbacks/twilio/{workspaceId}/{attemptId}",
                statuses: [200, 400, 402, 403, 404, 409, 413, 422, 500], .open(twilioStatusCallback)),
            Route(.get, "/v1/dnc", statuses: [200, 400, 422], .owner(listDoNotCall)),
            Route(.post, "/v1/dnc", statuses: bodyStatuses.union([200, 404]), .apiKey(addDoNotCall)),
            Route(.post, "/v1/dnc/import", statuses: [200, 404, 413, 422], .owner(importDoNotCall)),
            Route(.get, "/v1/dnc/{phoneNumber}", statuses: [200, 422], .apiKey(checkDoNotCall)),
            Route(.delete, "/v1/dnc/{phoneNumber}", statuses: [200, 422], .owner(removeDoNotCall)),
            Route(.get, "/v1/usage", statuses: [200, 404, 422], .apiKey(usage)),
            Route(.get, "/v1/api-keys", statuses: [200], .apiKey(listKeys)),
            Route(.post, "/v1/api-keys", statuses: bodyStatuses.union([201]), .apiKey(createKey)),
            Route(.delete, "/v1/api-keys/{keyId}", statuses: [200, 404], .apiKey(revokeKey)),
            // Campaigns (API key).
            Route(.post, "/v1/campaigns", statuses: bodyStatuses.union([201, 404]), .apiKey(createCampaign)),
            Route(.get, "/v1/campaigns", statuses: [200, 400, 422], .apiKey(listCampaigns)),
            Route(.get, "/v1/campaigns/{campaignId}", statuses: [200, 404, 422], .apiKey(getCampaign)),
            Route(
                .patch, "/v1/campaigns/{campaignId}", statuses: bodyStatuses.union([200, 404, 409]),
                .apiKey(editCampaign)),
            Route(
                .post, "/v1/campaigns/{campaignId}/recipients", statuses: [200, 201, 400, 404, 409, 413, 422],
                .apiKey(uploadRecipients)),
            Route(
                .get, "/v1/campaigns/{campaignId}/recipients", statuses: [200, 400, 404, 422], .apiKey(listRecipients)),
            Route(.get, "/v1/campaigns/{campaignId}/send-step", statuses: [200, 404, 422], .apiKey(sendStep)),
            Route(
                .post, "/v1/campaigns/{campaignId}/launch", statuses: bodyStatuses.union([200, 404, 409]),
                .apiKey(launchCampaign)),
            Route(.post, "/v1/campaigns/{campaignId}/pause", statuses: [200, 404, 409, 422], .apiKey(pauseCampaign)),
            Route(.post, "/v1/campaigns/{campaignId}/resume", statuses: [200, 404, 409, 422], .apiKey(resumeCampaign)),
            Route(.post, "/v1/campaigns/{campaignId}/cancel", statuses: [200, 404, 409, 422], .apiKey(cancelCampaign)),
            Route(
                .post, "/v1/calls.execute", statuses: bodyStatuses.union([200, 202, 404, 409]), .apiKey(executeCall)),
            // Notifications (API key).
            Route(.get, "/v1/webhook-endpoints", statuses: [200], .owner(listWebhookEndpoints)),
            Route(.post, "/v1/webhook-endpoints", statuses: bodyStatuses.union([201]), .owner(createWebhookEndpoint)),
            Route(.get, "/v1/webhook-endpoints/{endpointId}", statuses: [200, 404], .owner(getWebhookEndpoint)),
            Route(
                .patch, "/v1/webhook-endpoints/{endpointId}", statuses: bodyStatuses.union([200, 404]),
                .owner(updateWebhookEndpoint)),
            Route(.delete, "/v1/webhook-endpoints/{endpointId}", statuses: [200, 404], .owner(deleteWebhookEndpoint)),
            Route(.get, "/v1/webhook-deliveries", statuses: [200, 400, 422], .owner(listDeliveries)),
            Route(.get, "/v1/notification-settings", statuses: [200], .owner(getNotificationSettings)),
            Route(
                .put, "/v1/notification-settings", statuses: bodyStatuses.union([200]), .owner(putNotificationSettings)
            ),
            Route(.get, "/v1/wallets/{walletId}/runway", statuses: [200, 404], .apiKey(runway)),
        ] + billingRoutes + teamRoutes
    }

    /// Plans, subscriptions, packages, purchases and the Stripe webhook (issue 5).
    var billingRoutes: [Route] {
        [
            // Operator (admin token).
            Route(.get, "/v1/plans", statuses: [200], .admin(listPlans)),
            Route(.put, "/v1/plans/{planId}", statuses: bodyStatuses.union([200, 201]), .admin(putPlan)),
            Route(.put, "/v1/packages/{packageId}", statuses: bodyStatuses.union([200, 201]), .admin(putPackage)),
            Route(
                .post, "/v1/workspaces/{workspaceId}/subscription", statuses: bodyStatuses.union([201, 404, 409]),
                .admin(createSubscription)),
            Route(.get, "/v1/workspaces/{workspaceId}/subscription", statuses: [200, 404], .admin(getSubscription)),
            Route(
                .post, "/v1/workspaces/{workspaceId}/subscription/plan", statuses: bodyStatuses.union([200, 404]),
                .admin(changePlan)),
            Route(
                .post, "/v1/workspaces/{workspaceId}/subscription/status", statuses: bodyStatuses.union([200, 404]),
                .admin(setSubscriptionStatus)),
            Route(.get, "/v1/workspaces/{workspaceId}/billing", statuses: [200, 404], .admin(workspaceBilling)),
            Route(
                .post, "/v1/workspaces/{workspaceId}/purchases/{purchaseId}/refund",
                statuses: bodyStatuses.union([200, 404, 409]), .admin(refundPurchase)),
            // Workspace (API key).
            Route(.get, "/v1/billing", statuses: [200, 404], .owner(billing)),
            Route(.get, "/v1/packages", statuses: [200], .owner(listPackages)),
            Route(
                .post, "/v1/purchases", statuses: bodyStatuses.union([200, 201, 404, 409, 502]),
                .owner(createPurchase)),
            Route(.get, "/v1/purchases", statuses: [200, 400, 422], .owner(listPurchases)),
            Route(.get, "/v1/purchases/{purchaseId}", statuses: [200, 404, 422], .owner(getPurchase)),
            // Stripe (signed by Stripe, no credentials of ours).
            Route(
                .post, "/v1/webhooks/stripe", statuses: [200, 400, 403, 409, 413, 422, 500],
                .open(stripeWebhook)),
        ]
    }
}

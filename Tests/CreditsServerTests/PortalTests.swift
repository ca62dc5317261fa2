import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// The portal: sign-in, cookies, CSRF on every form, one workspace per session, and the pages' figures.
@Suite("Portal")
struct PortalTests {
    @Test func signInSetsAnHttpOnlySameSiteSessionCookieWithoutSecureByDefault() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let response = try await client.signInResponse(email: "Owner@Example.com", password: "correct-horse")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/portal/billing")
            let cookie = try #require(setCookie(Portal.sessionCookie, in: response))
            #expect(cookie.header.contains("; HttpOnly"))
            #expect(cookie.header.contains("; SameSite=Lax"))
            #expect(cookie.header.contains("; Path=/portal"))
            #expect(!cookie.header.contains("Secure"))
            #expect(cookie.value.count >= 43)
        }
    }

    @Test func cookiesAreSecureWhenConfigured() async throws {
        var secure = Harness()
        secure.configuration.portal.secureCookies = true
        let harness = secure
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let form = try await client.page("/portal/sign-in", cookie: nil)
            #expect(try #require(setCookie(Portal.signInCookie, in: form)).header.hasSuffix("; Secure"))
            let response = try await client.signInResponse(email: "owner@example.com", password: "correct-horse")
            #expect(try #require(setCookie(Portal.sessionCookie, in: response)).header.hasSuffix("; Secure"))
        }
    }

    @Test func theSessionTokenIsStoredOnlyAsItsHash() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let browser = try await client.signIn()
            #expect(try await harness.store.portalSession(tokenHash: browser.session) == nil)
            let stored = try #require(try await harness.store.portalSession(tokenHash: Portal.sha256(browser.session)))
            #expect(stored.workspaceId == workspace.id && stored.csrfToken == browser.csrf)
        }
    }

    @Test func aWrongPasswordOrUnknownEmailIsRefusedAlikeWithoutASession() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            for (email, password) in [("owner@example.com", "wrong-horse"), ("nobody@example.com", "correct-horse")] {
                let response = try await client.signInResponse(email: email, password: password)
                #expect(response.status == .unauthorized)
                #expect(response.headers[PortalError.codeHeader] == "sign_in_failed")
                #expect(setCookie(Portal.sessionCookie, in: response) == nil)
            }
        }
    }

    @Test func theSignInFormRefusesAMissingOrWrongCsrfToken() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let fields = [("email", "owner@example.com"), ("password", "correct-horse")]
            let missing = try await client.postForm("/portal/sign-in", fields, cookie: nil)
            let wrong = try await client.postForm(
                "/portal/sign-in", fields + [("_csrf", "forged")], cookie: "\(Portal.signInCookie)=real")
            for response in [missing, wrong] {
                #expect(response.status == .forbidden)
                #expect(response.headers[PortalError.codeHeader] == "csrf_invalid")
                #expect(setCookie(Portal.sessionCookie, in: response) == nil)
            }
        }
    }

    @Test func pagesWithoutASessionGoToTheSignInPage() async throws {
        try await Harness().run { client in
            for path in ["/portal/billing", "/portal/campaigns", "/portal/dnc", "/portal/buy"] {
                let response = try await client.page(path, cookie: nil)
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/portal/sign-in")
            }
            let forged = try await client.page("/portal/billing", cookie: "\(Portal.sessionCookie)=forged")
            #expect(forged.status == .seeOther)
        }
    }

    @Test func everyFormRefusesAMissingOrWrongCsrfTokenAndChangesNothing() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            _ = try await client.send(
                .put, "/v1/packages/p100", token: adminToken,
                json: #"{"name": "100", "credits": 100, "priceMinor": 500, "currency": "USD"}"#)
            let browser = try await client.signIn()
            let created = try await client.send(
                .post, "/v1/campaigns", token: workspace.secret, json: #"{"name": "Spring"}"#)
            let campaign = try decode(CampaignView.self, created).id
            let fields: [String: [(String, String)]] = [
                "/portal/buy": [("packageId", "p100"), ("purchaseKey", "k1")],
                "/portal/campaigns": [("name", "Forged")],
                "/portal/campaigns/{campaignId}/recipients": [("csv", "phone\n+14155550100\n")],
                "/portal/dnc": [("phone", "+14155550100")],
                "/portal/dnc/remove": [("phone", "+14155550100")],
                "/portal/dnc/import": [("csv", "phone\n+14155550101\n")],
            ]
            for route in Portal.formRoutes {
                let path = route.replacingOccurrences(of: "{campaignId}", with: campaign)
                    .replacingOccurrences(of: "{personId}", with: "per_x").replacingOccurrences(
                        of: "{invitationId}", with: "inv_x")
                for token in [nil, "wrong-token"] {
                    let body = (fields[route] ?? []) + (token.map { [("_csrf", $0)] } ?? [])
                    let response = try await client.postForm(path, body, cookie: browser.cookie)
                    #expect(response.status == .forbidden, "\(route) with token \(token ?? "none")")
                    #expect(response.headers[PortalError.codeHeader] == "csrf_invalid", "\(route)")
                }
            }
            // Nothing changed: no purchase, campaign, recipient or listed number; the session still works.
            #expect(try await harness.store.purchases(workspaceId: workspace.id, limit: 10).isEmpty)
            let campaigns = try await harness.store.campaigns(workspaceId: workspace.id, limit: 10, before: nil)
            #expect(campaigns.campaigns.map(\.id) == [campaign])
            #expect(campaigns.campaigns[0].progress.recipients == 0 && campaigns.campaigns[0].status == .draft)
            let listed = try await harness.store.doNotCallList(workspaceId: workspace.id, after: nil, limit: 10)
            #expect(listed.numbers.isEmpty)
            #expect(try await client.page("/portal/billing", cookie: browser.cookie).status == .ok)
        }
    }

    @Test func aSessionOfOneWorkspaceOpensNothingInAnother() async throws {
        let harness = Harness()
        try await harness.run { client in
            let mine = try await client.createWorkspace(name: "Mine")
            let theirs = try await client.createWorkspace(name: "Theirs")
            try await harness.addOwner(mine)
            _ = try await client.grant(theirs, amount: 7_777)
            _ = try await client.send(
                .post, "/v1/dnc", token: theirs.secret, json: #"{"numbers": ["+14155550199"]}"#)
            let created = try await client.send(
                .post, "/v1/campaigns", token: theirs.secret, json: #"{"name": "Theirs"}"#)
            let campaign = try decode(CampaignView.self, created).id
            let browser = try await client.signIn()
            let page = try await client.page("/portal/campaigns/\(campaign)", cookie: browser.cookie)
            #expect(page.status == .notFound)
            for action in ["pause", "resume", "cancel", "launch"] {
                let response = try await client.postForm(
                    "/portal/campaigns/\(campaign)/\(action)", [("_csrf", browser.csrf)], cookie: browser.cookie)
                #expect(response.status == .notFound, "\(action)")
            }
            let list = text(try await client.page("/portal/campaigns", cookie: browser.cookie))
            #expect(!list.contains(campaign) && !list.contains("Theirs"))
            let billing = text(try await client.page("/portal/billing", cookie: browser.cookie))
            #expect(!billing.contains("7,777"))
            let dnc = text(try await client.page("/portal/dnc", cookie: browser.cookie))
            #expect(!dnc.contains("+14155550199"))
            #expect(
                try await harness.store.campaign(workspaceId: theirs.id, campaignId: campaign)?.status == .draft)
        }
    }

    @Test func signOutEndsTheSession() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let browser = try await client.signIn()
            let out = try await client.postForm("/portal/sign-out", [("_csrf", browser.csrf)], cookie: browser.cookie)
            #expect(out.status == .seeOther)
            #expect(setCookie(Portal.sessionCookie, in: out)?.header.contains("Max-Age=0") == true)
            #expect(try await client.page("/portal/billing", cookie: browser.cookie).status == .seeOther)
        }
    }

    @Test func anExpiredSessionOpensNothing() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let browser = try await client.signIn()
            harness.clock.advance(seconds: harness.configuration.portal.sessionSeconds + 1)
            #expect(try await client.page("/portal/billing", cookie: browser.cookie).status == .seeOther)
        }
    }

    @Test func theBillingPageShowsTheAPIsBalanceWithThousandsSeparators() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            _ = try await client.grant(workspace, amount: 1_234_567)
            let browser = try await client.signIn()
            let html = text(try await client.page("/portal/billing", cookie: browser.cookie))
            #expect(html.contains(#"<span class="value" id="available">1,234,567</span>"#))
            #expect(html.contains("<svg class=\"chart\""))
            #expect(html.contains(#"id="buy-credits""#))
            let csv = try await client.page("/portal/billing/usage.csv", cookie: browser.cookie)
            #expect(csv.status == .ok)
            #expect(text(csv).hasPrefix(UsageCSV.header))
        }
    }

    @Test func buyingAPackageWithTheBuiltInProviderRaisesTheBalanceAtOnce() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            _ = try await client.send(
                .put, "/v1/packages/p2500", token: adminToken,
                json: #"{"name": "2,500 credits", "credits": 2500, "priceMinor": 9900, "currency": "USD"}"#)
            let browser = try await client.signIn()
            let buyPage = text(try await client.page("/portal/buy", cookie: browser.cookie))
            #expect(buyPage.contains("99.00 USD") && buyPage.contains("2,500"))
            let fields = [("_csrf", browser.csrf), ("packageId", "p2500"), ("purchaseKey", "portal-test-1")]
            let bought = try await client.postForm("/portal/buy", fields, cookie: browser.cookie)
            #expect(bought.status == .seeOther)
            let location = try #require(bought.headers[.location])
            #expect(location.hasPrefix("/portal/buy/"))
            let done = text(try await client.page(location, cookie: browser.cookie))
            #expect(done.contains(#"<dd id="available">2,500</dd>"#))
            // The same form sent twice buys once.
            _ = try await client.postForm("/portal/buy", fields, cookie: browser.cookie)
            #expect(try await harness.store.purchases(workspaceId: workspace.id, limit: 10).count == 1)
        }
    }

    @Test func launchWithAShortfallNeedsTheAcknowledgement() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            _ = try await client.grant(workspace, amount: 1)
            let browser = try await client.signIn()
            let created = try await client.postForm(
                "/portal/campaigns", [("_csrf", browser.csrf), ("name", "Short")], cookie: browser.cookie)
            let path = try #require(created.headers[.location])
            let upload = try await client.postForm(
                "\(path)/recipients",
                [("_csrf", browser.csrf), ("csv", "phone,phone2\n+14155550100,+14155550101\nnot-a-number\n")],
                cookie: browser.cookie)
            #expect(upload.status == .ok)
            let uploaded = text(upload)
            #expect(uploaded.contains("1 recipients added, 1 rows rejected"))
            #expect(uploaded.contains(#"id="shortfall-warning""#) && uploaded.contains("href=\"/portal/buy\""))
            let refused = try await client.postForm("\(path)/launch", [("_csrf", browser.csrf)], cookie: browser.cookie)
            #expect(refused.status == .conflict)
            #expect(refused.headers[PortalError.codeHeader] == "shortfall_not_acknowledged")
            let id = String(path.split(separator: "/").last!)
            #expect(try await harness.store.campaign(workspaceId: workspace.id, campaignId: id)?.status == .draft)
            let launched = try await client.postForm(
                "\(path)/launch", [("_csrf", browser.csrf), ("acknowledgeShortfall", "yes")], cookie: browser.cookie)
            #expect(launched.status == .seeOther)
            #expect(try await harness.store.campaign(workspaceId: workspace.id, campaignId: id)?.status != .draft)
        }
    }

    @Test func theDoNotCallPageAddsImportsAndRemovesNumbers() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let browser = try await client.signIn()
            let added = try await client.postForm(
                "/portal/dnc", [("_csrf", browser.csrf), ("phone", "(415) 555-0100")], cookie: browser.cookie)
            #expect(text(added).contains("+14155550100 is on the Do Not Call list."))
            let imported = try await client.postForm(
                "/portal/dnc/import", [("_csrf", browser.csrf), ("csv", "phone\n+14155550101\nbad\n")],
                cookie: browser.cookie)
            #expect(text(imported).contains("1 numbers added"))
            _ = try await client.postForm(
                "/portal/dnc/remove", [("_csrf", browser.csrf), ("phone", "+14155550100")], cookie: browser.cookie)
            let listed = try await harness.store.doNotCallList(workspaceId: workspace.id, after: nil, limit: 10)
            #expect(listed.numbers.map(\.phoneNumber) == ["+14155550101"])
        }
    }

    @Test func aMemberCannotOpenTheTeamPageNorBuyAndSeesOnlyTheirOwnWalletAndCampaigns() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let member = try await harness.addMember(workspace, email: "ana@example.com")
            _ = try await client.grant(workspace, amount: 5_000)
            _ = try await client.send(
                .post, "/v1/campaigns", token: workspace.secret, json: #"{"name": "Owner only campaign"}"#)
            let ana = try await client.signIn(email: "ana@example.com", password: "member-horse")
            let team = try await client.page("/portal/team", cookie: ana.cookie)
            #expect(team.status == .forbidden)
            #expect(team.headers[PortalError.codeHeader] == "owner_only")
            let transfer = try await client.postForm(
                "/portal/team/members/\(member.id)/transfer", [("_csrf", ana.csrf), ("credits", "10")],
                cookie: ana.cookie)
            #expect(transfer.status == .forbidden)
            let billing = text(try await client.page("/portal/billing", cookie: ana.cookie))
            #expect(billing.contains(#"<span class="value" id="available">0</span>"#))
            #expect(!billing.contains("/portal/team"))
            let campaigns = text(try await client.page("/portal/campaigns", cookie: ana.cookie))
            #expect(!campaigns.contains("Owner only campaign"))
        }
    }

    @Test func aTransferFromTheTeamPageShowsOnTheMembersBillingPage() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let member = try await harness.addMember(workspace, email: "ben@example.com")
            _ = try await client.grant(workspace, amount: 5_000)
            let owner = try await client.signIn()
            let page = text(try await client.page("/portal/team", cookie: owner.cookie))
            #expect(page.contains("ben@example.com"))
            let transferred = try await client.postForm(
                "/portal/team/members/\(member.id)/transfer", [("_csrf", owner.csrf), ("credits", "1,200")],
                cookie: owner.cookie)
            #expect(transferred.status == .ok)
            #expect(text(transferred).contains("1,200 credits were transferred."))
            let tooMuch = try await client.postForm(
                "/portal/team/members/\(member.id)/transfer", [("_csrf", owner.csrf), ("credits", "999999")],
                cookie: owner.cookie)
            #expect(tooMuch.status.code >= 400)
            let ben = try await client.signIn(email: "ben@example.com", password: "member-horse")
            let billing = text(try await client.page("/portal/billing", cookie: ben.cookie))
            #expect(billing.contains(#"<span class="value" id="available">1,200</span>"#))
            let audit = text(try await client.page("/portal/team", cookie: owner.cookie))
            #expect(audit.contains("credits.transferred"))
        }
    }

    @Test func anInviteeJoinsFromTheLinkWithAPasswordAndIsSignedInAsAMember() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await harness.addOwner(workspace)
            let owner = try await client.signIn()
            let invited = text(
                try await client.postForm(
                    "/portal/team/invite", [("_csrf", owner.csrf), ("email", "cleo@example.com")], cookie: owner.cookie)
            )
            let marker = "/portal/join?token="
            let start = try #require(invited.range(of: marker))
            let token = String(invited[start.upperBound...].prefix { $0 != "\"" })
            #expect(token.hasPrefix("ccinv_"))
            let form = try await client.page("/portal/join?token=\(token)", cookie: nil)
            #expect(text(form).contains("cleo@example.com"))
            let csrf = try #require(setCookie(Portal.signInCookie, in: form)?.value)
            let forged = try await client.postForm(
                "/portal/join", [("token", token), ("password", "cleo-password")], cookie: nil)
            #expect(forged.status == .forbidden && forged.headers[PortalError.codeHeader] == "csrf_invalid")
            let short = try await client.postForm(
                "/portal/join", [("_csrf", csrf), ("token", token), ("password", "short")],
                cookie: "\(Portal.signInCookie)=\(csrf)")
            #expect(short.status == .unprocessableContent)
            #expect(try await harness.store.people(workspaceId: workspace.id).count == 1)
            let joined = try await client.postForm(
                "/portal/join", [("_csrf", csrf), ("token", token), ("password", "cleo-password")],
                cookie: "\(Portal.signInCookie)=\(csrf)")
            #expect(joined.status == .seeOther)
            #expect(setCookie(Portal.sessionCookie, in: joined) != nil)
            let cleo = try await client.signIn(email: "cleo@example.com", password: "cleo-password")
            #expect(try await client.page("/portal/team", cookie: cleo.cookie).status == .forbidden)
            let again = try await client.postForm(
                "/portal/join", [("_csrf", csrf), ("token", token), ("password", "cleo-password")],
                cookie: "\(Portal.signInCookie)=\(csrf)")
            #expect(again.status.code >= 400)
        }
    }

    @Test func multipartFormsAreRead() {
        let body = Data(
            "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntoken\r\n--XyZ\r\n"
                .appending("Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n")
                .appending("Content-Type: text/csv\r\n\r\nphone\r\n+14155550100\r\n--XyZ--\r\n").utf8)
        let form = PortalForm(body: body, contentType: "multipart/form-data; boundary=XyZ")
        #expect(form["_csrf"] == "token")
        #expect(form.files["file"].map { String(decoding: $0, as: UTF8.self) } == "phone\r\n+14155550100")
    }

    @Test func numbersGetThousandsSeparators() {
        #expect(PortalFormat.number(0) == "0")
        #expect(PortalFormat.number(999) == "999")
        #expect(PortalFormat.number(1_000) == "1,000")
        #expect(PortalFormat.number(-1_234_567) == "-1,234,567")
    }
}

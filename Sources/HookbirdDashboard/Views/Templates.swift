//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// The dashboard's Mustache templates, compiled into the binary so that Hookbird stays one file to deploy.
///
/// Every page extends `layout` (`{{<layout}}{{$content}}…{{/content}}{{/layout}}`). `{{ }}` escapes HTML; the
/// templates never use `{{{ }}}`, so everything shown, payloads and response bodies included, is escaped.
enum Templates {
    static let all: [String: String] = [
        "layout": layout, "time": time, "rate": rate, "status": status, "attempts": attempts, "pager": pager,
        "login": login, "apps": apps, "app": app, "message": message, "endpoint": endpoint, "sources": sources,
        "source": source, "error": error,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Hookbird</title>
        <link rel="stylesheet" href="/dashboard/style.css">
        </head>
        <body>
        <header class="top">
          <a class="brand" href="/dashboard/apps">Hookbird</a>
          {{#signedIn}}
          <nav class="main-nav">
            <a href="/dashboard/apps">Applications</a>
            {{#orgScope}}<a href="/dashboard/sources">Sources</a>{{/orgScope}}
          </nav>
          <form method="post" action="/dashboard/logout" class="signout">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <span class="who">{{who}}</span>
            <button type="submit" class="link" id="sign-out">Sign out</button>
          </form>
          {{/signedIn}}
        </header>
        <main>
        {{^empty(crumbs)}}<nav class="crumbs">{{#crumbs}}<a href="{{href}}">{{label}}</a><span class="sep">/</span>{{/crumbs}}<span>{{title}}</span></nav>{{/empty(crumbs)}}
        {{#flash}}<div class="flash{{#isError}} error{{/isError}}" role="status" id="flash">{{text}}</div>{{/flash}}
        {{$content}}{{/content}}
        </main>
        <footer class="foot">Hookbird · times in UTC</footer>
        </body>
        </html>
        """

    /// A point in time, relative and absolute; the context is a ``TimeText``.
    static let time = """
        <time datetime="{{iso}}" title="{{absolute}}">{{relative}}</time> <span class="abs">{{absolute}}</span>
        """

    /// A success rate; the context has an optional `rate` (``RateText``).
    static let rate = """
        {{#rate}}<span class="rate {{tone}}">{{percent}}</span> <span class="muted">of {{total}}</span>{{/rate}}\
        {{^rate}}<span class="muted">no attempts</span>{{/rate}}
        """

    /// A status badge; the context has `statusText` and `statusTone`.
    static let status = """
        <span class="badge {{statusTone}}">{{statusText}}</span>
        """

    /// A table of attempts; the context has `attempts` (``AttemptRow``s) and `showMessage`.
    static let attempts = """
        {{^empty(attempts)}}
        <div class="scroll"><table class="attempts">
        <thead><tr><th>When</th>{{#showMessage}}<th>Message</th>{{/showMessage}}<th>Status</th><th class="num">Code</th>\
        <th class="num">Duration</th><th>Trigger</th><th>Response</th></tr></thead>
        <tbody>
        {{#attempts}}
        <tr class="attempt">
        <td class="when">{{#timestamp}}{{>time}}{{/timestamp}}</td>
        {{#showMessage}}<td><a href="{{messageHref}}"><code>{{messageID}}</code></a></td>{{/showMessage}}
        <td>{{>status}}</td>
        <td class="num code">{{statusCode}}</td>
        <td class="num">{{durationMs}} ms</td>
        <td>{{trigger}}</td>
        <td class="response">{{#response}}<details><summary>{{responsePreview}}</summary><pre>{{response}}</pre></details>{{/response}}\
        {{^response}}<span class="muted">empty</span>{{/response}}</td>
        </tr>
        {{/attempts}}
        </tbody>
        </table></div>
        {{/empty(attempts)}}
        {{^attempts}}<p class="muted empty">No attempts.</p>{{/attempts}}
        """

    /// "Older" and "Newest" links of a list; the context may have `olderHref` and `newestHref`.
    static let pager = """
        {{#olderHref}}<p class="pager">{{#newestHref}}<a href="{{newestHref}}">← Newest</a>{{/newestHref}}\
        <a href="{{olderHref}}">Older →</a></p>{{/olderHref}}\
        {{^olderHref}}{{#newestHref}}<p class="pager"><a href="{{newestHref}}">← Newest</a></p>{{/newestHref}}{{/olderHref}}
        """

    static let login = """
        {{<layout}}{{$content}}
        <section class="card signin">
        <h1>Sign in</h1>
        <p class="muted">Use an API token: the admin token, or a token made with <code>hookbird token create</code>.
        A token scoped to one application shows only that application.</p>
        {{#body.error}}<p class="flash error" role="alert" id="signin-error">{{body.error}}</p>{{/body.error}}
        <form method="post" action="/dashboard/login" id="signin">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required autofocus>
        <button type="submit" class="primary">Sign in</button>
        </form>
        </section>
        {{/content}}{{/layout}}
        """

    static let apps = """
        {{<layout}}{{$content}}
        {{#body}}
        <h1>Applications</h1>
        {{^empty(apps)}}
        <div class="scroll"><table id="apps">
        <thead><tr><th>Name</th><th>ID</th><th class="num">Endpoints</th><th>Success, last 24 h</th><th>Created</th></tr></thead>
        <tbody>
        {{#apps}}
        <tr>
        <td><a class="app-link" href="{{href}}">{{name}}</a>{{#uid}}<div class="muted">{{.}}</div>{{/uid}}</td>
        <td><code>{{id}}</code></td>
        <td class="num">{{endpointCount}}</td>
        <td>{{>rate}}</td>
        <td>{{#createdAt}}{{>time}}{{/createdAt}}</td>
        </tr>
        {{/apps}}
        </tbody>
        </table></div>
        {{/empty(apps)}}
        {{^apps}}<p class="muted empty">No applications yet. Create one with <code>POST /api/v1/app</code>.</p>{{/apps}}
        {{>pager}}
        {{/body}}
        {{/content}}{{/layout}}
        """

    static let app = """
        {{<layout}}{{$content}}
        {{#body}}
        <h1>{{name}}</h1>
        <dl class="meta">
        <dt>ID</dt><dd><code>{{id}}</code></dd>
        {{#uid}}<dt>UID</dt><dd><code>{{.}}</code></dd>{{/uid}}
        <dt>Created</dt><dd>{{#createdAt}}{{>time}}{{/createdAt}}</dd>
        </dl>
        <h2>Endpoints</h2>
        {{^empty(endpoints)}}
        <div class="scroll"><table id="endpoints">
        <thead><tr><th>URL</th><th>Description</th><th>State</th><th>Success, last 24 h</th><th>Last failure</th></tr></thead>
        <tbody>
        {{#endpoints}}
        <tr>
        <td class="url"><a href="{{href}}">{{url}}</a></td>
        <td>{{description}}</td>
        <td>{{>status}}</td>
        <td>{{>rate}}</td>
        <td>{{#lastFailure}}{{#timestamp}}{{>time}}{{/timestamp}} <span class="badge bad">{{statusCode}}</span>{{/lastFailure}}\
        {{^lastFailure}}<span class="muted">none</span>{{/lastFailure}}</td>
        </tr>
        {{/endpoints}}
        </tbody>
        </table></div>
        {{/empty(endpoints)}}
        {{^endpoints}}<p class="muted empty">No endpoints.</p>{{/endpoints}}
        <h2>Recent messages</h2>
        {{^empty(messages)}}
        <div class="scroll"><table id="messages">
        <thead><tr><th>Message</th><th>Event type</th><th>Event ID</th><th>Created</th></tr></thead>
        <tbody>
        {{#messages}}
        <tr>
        <td><a class="message-link" href="{{href}}"><code>{{id}}</code></a></td>
        <td><code>{{eventType}}</code></td>
        <td>{{#eventID}}<code>{{.}}</code>{{/eventID}}{{^eventID}}<span class="muted">—</span>{{/eventID}}</td>
        <td>{{#createdAt}}{{>time}}{{/createdAt}}</td>
        </tr>
        {{/messages}}
        </tbody>
        </table></div>
        {{/empty(messages)}}
        {{^messages}}<p class="muted empty">No messages.</p>{{/messages}}
        {{>pager}}
        {{/body}}
        {{/content}}{{/layout}}
        """

    static let message = """
        {{<layout}}{{$content}}
        {{#body}}
        <h1>Message <code>{{id}}</code></h1>
        <dl class="meta">
        <dt>Event type</dt><dd><code id="event-type">{{eventType}}</code></dd>
        <dt>Message ID</dt><dd><code>{{id}}</code></dd>
        {{#eventID}}<dt>Event ID</dt><dd><code>{{.}}</code></dd>{{/eventID}}
        {{#channels}}<dt>Channels</dt><dd>{{.}}</dd>{{/channels}}
        <dt>Created</dt><dd>{{#createdAt}}{{>time}}{{/createdAt}}</dd>
        </dl>
        <h2>Payload</h2>
        <pre class="payload" id="payload">{{payload}}</pre>
        <h2>Deliveries</h2>
        {{#endpoints}}
        <section class="card delivery" id="delivery-{{id}}">
        <div class="delivery-head">
        <div>
        <a class="url" href="{{href}}">{{url}}</a> {{>status}}
        {{#description}}<div class="muted">{{.}}</div>{{/description}}
        <div class="delivery-state">
        {{#delivery}}<span class="badge {{tone}}">{{text}}</span> · {{attemptCount}} attempt(s)\
        {{#nextAttempt}} · next attempt {{>time}}{{/nextAttempt}}{{/delivery}}
        {{^delivery}}<span class="muted">Not sent to this endpoint.</span>{{/delivery}}
        </div>
        </div>
        <form method="post" action="{{resendAction}}" class="inline">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="endpoint_id" value="{{id}}">
        <button type="submit" class="primary resend" data-endpoint="{{id}}"{{#disabled}} disabled title="The endpoint is disabled"{{/disabled}}>Resend</button>
        </form>
        </div>
        {{>attempts}}
        </section>
        {{/endpoints}}
        {{^endpoints}}<p class="muted empty">The application has no endpoints.</p>{{/endpoints}}
        {{/body}}
        {{/content}}{{/layout}}
        """

    static let endpoint = """
        {{<layout}}{{$content}}
        {{#body}}
        <h1 class="url">{{url}}</h1>
        <p>{{>status}} {{#description}}<span class="muted">{{.}}</span>{{/description}}</p>
        <dl class="meta">
        <dt>ID</dt><dd><code>{{id}}</code></dd>
        {{#uid}}<dt>UID</dt><dd><code>{{.}}</code></dd>{{/uid}}
        <dt>Event types</dt><dd>{{eventTypes}}</dd>
        {{#channels}}<dt>Channels</dt><dd>{{.}}</dd>{{/channels}}
        <dt>Success, last 24 h</dt><dd>{{>rate}}</dd>
        {{#load}}<dt>Delivering now</dt><dd>{{.}}</dd>{{/load}}
        <dt>Created</dt><dd>{{#createdAt}}{{>time}}{{/createdAt}}</dd>
        </dl>
        <div class="actions">
        <form method="post" action="{{actionBase}}/{{toggleAction}}" class="card action">
        <h3>State</h3>
        <p class="muted">{{#disabled}}Disabled: no messages are sent to it.{{/disabled}}\
        {{^disabled}}Enabled: messages are sent to it.{{/disabled}}</p>
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" id="toggle">{{toggleLabel}}</button>
        </form>
        <form method="post" action="{{actionBase}}/rotate" class="card action">
        <h3>Signing secret</h3>
        <label for="grace">Old secret stays valid for</label>
        <select id="grace" name="grace_period_seconds">
        <option value="0">no time</option><option value="3600">1 hour</option>
        <option value="86400" selected>24 hours</option><option value="604800">7 days</option>
        </select>
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" id="rotate">Rotate secret</button>
        </form>
        <form method="post" action="{{actionBase}}/recover" class="card action">
        <h3>Recover since…</h3>
        <label for="recover-since">Resend failed messages since (UTC, at most 14 days)</label>
        <input id="recover-since" name="since" type="datetime-local" value="{{defaultSince}}" required>
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" id="recover">Recover</button>
        </form>
        <form method="post" action="{{actionBase}}/replay-missing" class="card action">
        <h3>Replay missing since…</h3>
        <label for="replay-since">Send messages never sent to it since (UTC, at most 90 days)</label>
        <input id="replay-since" name="since" type="datetime-local" value="{{defaultSince}}" required>
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" id="replay-missing">Replay missing</button>
        </form>
        </div>
        <h2>Headers</h2>
        {{^empty(headers)}}
        <div class="scroll"><table id="headers"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>
        {{#headers}}<tr><td><code>{{name}}</code></td><td>{{#value}}<code>{{.}}</code>{{/value}}\
        {{^value}}<span class="muted">hidden (sensitive)</span>{{/value}}</td></tr>{{/headers}}
        </tbody></table></div>
        {{/empty(headers)}}
        {{^headers}}<p class="muted empty">No custom headers.</p>{{/headers}}
        <h2>Attempts</h2>
        <form method="get" action="{{href}}" class="filters">
        <label>Status <select name="status">{{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statusOptions}}</select></label>
        <label>Response <select name="code">{{#codeOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/codeOptions}}</select></label>
        <label>Event type <input name="event_type" value="{{eventTypeFilter}}" placeholder="any"></label>
        <button type="submit">Filter</button>
        </form>
        {{>attempts}}
        {{>pager}}
        {{/body}}
        {{/content}}{{/layout}}
        """

    static let sources = """
        {{<layout}}{{$content}}
        {{#body}}
        <h1>Sources</h1>
        {{^empty(sources)}}
        <div class="scroll"><table id="sources">
        <thead><tr><th>Name</th><th>Provider</th><th>Application</th><th class="num">Accepted</th><th class="num">Refused</th>\
        <th class="num">Duplicate</th><th class="num">Handshake</th></tr></thead>
        <tbody>
        {{#sources}}
        <tr>
        <td><a href="{{href}}">{{name}}</a><div class="muted"><code>{{ingestURL}}</code></div></td>
        <td>{{provider}}</td>
        <td><a href="{{appHref}}"><code>{{appID}}</code></a></td>
        <td class="num">{{accepted}}</td><td class="num">{{refused}}</td><td class="num">{{duplicate}}</td><td class="num">{{handshake}}</td>
        </tr>
        {{/sources}}
        </tbody>
        </table></div>
        {{/empty(sources)}}
        {{^sources}}<p class="muted empty">No sources. Create one with <code>POST /api/v1/source</code>.</p>{{/sources}}
        {{>pager}}
        {{/body}}
        {{/content}}{{/layout}}
        """

    static let source = """
        {{<layout}}{{$content}}
        {{#body}}
        <h1>{{name}}</h1>
        <dl class="meta">
        <dt>ID</dt><dd><code>{{id}}</code></dd>
        {{#uid}}<dt>UID</dt><dd><code>{{.}}</code></dd>{{/uid}}
        <dt>Provider</dt><dd>{{provider}}</dd>
        <dt>Application</dt><dd><a href="{{appHref}}"><code>{{appID}}</code></a></dd>
        <dt>Ingest URL</dt><dd><code>{{ingestURL}}</code></dd>
        </dl>
        <div class="counts">
        <div class="card count"><span class="n">{{accepted}}</span> accepted</div>
        <div class="card count"><span class="n">{{refused}}</span> refused</div>
        <div class="card count"><span class="n">{{duplicate}}</span> duplicate</div>
        <div class="card count"><span class="n">{{handshake}}</span> handshake</div>
        </div>
        {{^empty(refusedReasons)}}<p class="muted">Refused: {{#refusedReasons}}<span class="reason">{{reason}} ({{count}})</span> {{/refusedReasons}}</p>{{/empty(refusedReasons)}}
        <h2>Stored requests</h2>
        <form method="get" action="{{href}}" class="filters">
        <label>Verdict <select name="verdict">{{#verdictOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/verdictOptions}}</select></label>
        <button type="submit">Filter</button>
        </form>
        {{^empty(requests)}}
        <div class="scroll"><table id="requests">
        <thead><tr><th>Received</th><th>Request</th><th>Verdict</th><th>Reason</th><th>Event</th><th>Message</th><th></th></tr></thead>
        <tbody>
        {{#requests}}
        <tr>
        <td>{{#receivedAt}}{{>time}}{{/receivedAt}}</td>
        <td><code>{{method}} {{path}}</code><div class="muted">{{remoteAddress}}</div></td>
        <td>{{>status}}</td>
        <td>{{reason}}</td>
        <td>{{#eventID}}<code>{{.}}</code>{{/eventID}}</td>
        <td>{{#messageHref}}<a href="{{.}}"><code>{{messageID}}</code></a>{{/messageHref}}</td>
        <td>{{#replayable}}<form method="post" action="{{replayAction}}" class="inline">
        <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="replay">Replay</button></form>{{/replayable}}</td>
        </tr>
        {{/requests}}
        </tbody>
        </table></div>
        {{/empty(requests)}}
        {{^requests}}<p class="muted empty">No stored requests.</p>{{/requests}}
        {{>pager}}
        {{/body}}
        {{/content}}{{/layout}}
        """

    static let error = """
        {{<layout}}{{$content}}
        {{#body}}
        <section class="card error-page">
        <h1>{{status}} · {{heading}}</h1>
        <p>{{detail}}</p>
        <p><a href="/dashboard/apps">Back to the applications</a></p>
        </section>
        {{/body}}
        {{/content}}{{/layout}}
        """
}

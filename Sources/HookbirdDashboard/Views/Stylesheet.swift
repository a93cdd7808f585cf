//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// The dashboard's stylesheet, served at `/dashboard/style.css`: system fonts, no web fonts, no CDN.
enum Stylesheet {
    static let css = """
        :root {
          --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f6f7f9; --card: #fff;
          --accent: #2f5bea; --accent-fg: #fff; --good: #067647; --good-bg: #dcfae6;
          --bad: #b42318; --bad-bg: #fee4e2; --warn: #b54708; --warn-bg: #fef0c7; --info-bg: #eef2ff;
        }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
          color: var(--fg); background: var(--bg); }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
        h1 { font-size: 24px; margin: 8px 0 12px; word-break: break-word; }
        h2 { font-size: 18px; margin: 28px 0 10px; }
        h3 { font-size: 15px; margin: 0 0 8px; }
        .top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 10px 24px;
          background: #101828; color: #fff; }
        .top a { color: #fff; }
        .brand { font-weight: 700; font-size: 17px; letter-spacing: .2px; }
        .main-nav { display: flex; gap: 18px; flex: 1; }
        .signout { display: flex; align-items: center; gap: 10px; margin: 0; }
        .who { color: #98a2b3; font-size: 13px; }
        main { max-width: 1320px; margin: 0 auto; padding: 16px 24px 40px; }
        .foot { max-width: 1320px; margin: 0 auto; padding: 0 24px 24px; color: var(--muted); font-size: 12px; }
        .crumbs { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
        .crumbs .sep { margin: 0 6px; }
        .muted { color: var(--muted); }
        .empty { padding: 12px 0; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
        .flash { background: var(--info-bg); border: 1px solid #c7d2fe; border-radius: 8px; padding: 10px 14px; margin: 8px 0 16px; }
        .flash.error { background: var(--bad-bg); border-color: #fda29b; color: var(--bad); }
        .scroll { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
        table { width: 100%; border-collapse: collapse; }
        th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); background: #fafbfc;
          white-space: nowrap; }
        tr:last-child td { border-bottom: 0; }
        td.num, th.num { text-align: right; white-space: nowrap; }
        td.url, .url { word-break: break-all; }
        td.url { min-width: 200px; }
        .abs { display: block; color: var(--muted); font-size: 12px; white-space: nowrap; }
        dd .abs { display: inline; margin-left: 6px; }
        time { white-space: nowrap; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
          background: #f2f4f7; color: #344054; white-space: nowrap; }
        .badge.good { background: var(--good-bg); color: var(--good); }
        .badge.bad { background: var(--bad-bg); color: var(--bad); }
        .badge.warn { background: var(--warn-bg); color: var(--warn); }
        .rate { font-weight: 600; }
        .rate.good { color: var(--good); } .rate.bad { color: var(--bad); } .rate.warn { color: var(--warn); }
        dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 8px; }
        dl.meta dt { color: var(--muted); }
        dl.meta dd { margin: 0; word-break: break-word; }
        pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
        pre.payload { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
          max-height: 420px; overflow: auto; }
        details summary { cursor: pointer; color: var(--muted); max-width: 420px; overflow: hidden; text-overflow: ellipsis;
          white-space: nowrap; }
        details pre { margin-top: 6px; background: #f9fafb; padding: 8px; border-radius: 6px; max-height: 240px; overflow: auto; }
        .delivery { margin-bottom: 16px; padding: 0; overflow: hidden; }
        .delivery-head { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 10px; padding: 12px 16px; }
        .delivery .scroll { border: 0; border-top: 1px solid var(--line); border-radius: 0; }
        .delivery .empty { padding: 0 16px 12px; }
        .delivery-state { margin-top: 4px; font-size: 13px; }
        .actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 12px; margin: 16px 0; }
        .action { display: flex; flex-direction: column; gap: 8px; margin: 0; }
        .action p { margin: 0; font-size: 13px; }
        .action button { margin-top: auto; align-self: flex-start; }
        label { font-size: 13px; color: var(--muted); }
        input, select { font: inherit; padding: 6px 8px; border: 1px solid #d0d5dd; border-radius: 6px; background: #fff;
          color: var(--fg); max-width: 100%; }
        button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #d0d5dd; background: #fff;
          color: var(--fg); cursor: pointer; }
        button:hover { border-color: var(--accent); }
        button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); }
        button:disabled { opacity: .5; cursor: not-allowed; }
        button.link { background: none; border: 0; color: #fff; padding: 0; text-decoration: underline; }
        form.inline { margin: 0; }
        .filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 10px 16px; margin: 0 0 12px; }
        .filters label { display: flex; flex-direction: column; gap: 2px; }
        .pager { display: flex; gap: 16px; justify-content: flex-end; }
        .counts { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
        .count { min-width: 130px; color: var(--muted); }
        .count .n { display: block; font-size: 22px; font-weight: 700; color: var(--fg); }
        .reason { margin-right: 8px; }
        .signin { max-width: 420px; margin: 48px auto; display: block; }
        .signin form { display: flex; flex-direction: column; gap: 10px; }
        .error-page { max-width: 640px; margin: 32px auto; }
        @media (max-width: 640px) {
          main { padding: 12px 12px 32px; }
          .top { padding: 10px 12px; }
          h1 { font-size: 20px; }
          th, td { padding: 6px 8px; }
          dl.meta { grid-template-columns: 1fr; gap: 0; }
          dl.meta dd { margin-bottom: 6px; }
          .signin { margin: 16px auto; }
        }
        """
}

/// The style and scripts the HTML report carries inline (the page loads nothing).
enum HTMLAssets {
    /// First in `<head>`: records script errors and `console.error` calls in the
    /// `data-errors` attribute of `<html>`, so a headless browser's DOM dump shows them.
    static let errorRecorder = """
        (function () {
          var root = document.documentElement;
          function note(text) { root.setAttribute('data-errors', (root.getAttribute('data-errors') || '') + text + '\\n'); }
          window.addEventListener('error', function (event) { note(event.message); });
          var original = console.error;
          console.error = function () { note(Array.prototype.join.call(arguments, ' ')); return original.apply(console, arguments); };
        })();
        """

    /// Zooming the timeline: lays every element with `data-t0` out again, hides
    /// event names that would overlap, and redraws the axis. Marks `<html>` with
    /// `data-ready="yes"` when done.
    static let timelineScript = """
        (function () {
          var svg = document.getElementById('timeline-svg');
          if (!svg) { document.documentElement.setAttribute('data-ready', 'yes'); return; }
          var box = document.getElementById('timeline-box');
          var left = +svg.getAttribute('data-left'), plot = +svg.getAttribute('data-plot-width');
          var total = +svg.getAttribute('data-total'), height = +svg.getAttribute('height');
          var zoom = 1, maxZoom = 4096;
          function describe(ms) {
            if (ms < 1) return Math.round(ms * 1000) + '\\u00b5s';
            if (ms < 1000) return (Math.round(ms * 10) / 10) + 'ms';
            return (Math.round(ms / 10) / 100) + 's';
          }
          function tickStep(width) {
            var raw = total / Math.max(1, width / 100);
            var power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 0.001))));
            var factors = [1, 2, 5, 10];
            for (var i = 0; i < factors.length; i++) { if (raw <= factors[i] * power) return factors[i] * power; }
            return 10 * power;
          }
          function make(name, attributes, text) {
            var element = document.createElementNS(svg.namespaceURI, name);
            for (var key in attributes) element.setAttribute(key, attributes[key]);
            if (text !== undefined) element.textContent = text;
            return element;
          }
          function layout() {
            var width = plot * zoom, scale = width / total;
            svg.setAttribute('width', left + width + 48);
            var placed = svg.querySelectorAll('.lane [data-t0]');
            for (var i = 0; i < placed.length; i++) {
              var element = placed[i], t0 = +element.getAttribute('data-t0'), x = left + t0 * scale;
              if (element.tagName === 'rect') {
                var t1 = +element.getAttribute('data-t1');
                element.setAttribute('x', x);
                element.setAttribute('width', Math.max(2, (t1 - t0) * scale));
              } else if (element.tagName === 'line') {
                element.setAttribute('x1', x);
                element.setAttribute('x2', x);
              } else {
                element.setAttribute('x', x);
                if (element.hasAttribute('data-t1')) {
                  var fits = (+element.getAttribute('data-t1') - t0) * scale >= element.textContent.length * 6 + 8;
                  element.classList.toggle('hidden', !fits);
                }
              }
            }
            var lanes = svg.querySelectorAll('.lane');
            for (var l = 0; l < lanes.length; l++) {
              var labels = lanes[l].querySelectorAll('text.event-name'), ends = [-Infinity, -Infinity], rows = [56, 69];
              for (var j = 0; j < labels.length; j++) {
                var lx = +labels[j].getAttribute('x'), row = lx >= ends[0] ? 0 : lx >= ends[1] ? 1 : -1;
                if (row < 0) { labels[j].classList.add('hidden'); continue; }
                labels[j].classList.remove('hidden');
                labels[j].setAttribute('y', rows[row]);
                ends[row] = lx + labels[j].textContent.length * 6 + 6;
              }
            }
            var axis = document.getElementById('timeline-axis');
            while (axis.firstChild) axis.removeChild(axis.firstChild);
            var step = tickStep(width);
            for (var t = 0; t <= total + step / 2; t += step) {
              var tx = left + t * scale;
              axis.appendChild(make('line', {'class': 'grid', x1: tx, x2: tx, y1: 16, y2: height}));
              axis.appendChild(make('text', {'class': 'tick', x: tx, y: 12}, describe(t)));
            }
            document.getElementById('zoom-level').textContent = zoom + '\\u00d7';
          }
          function setZoom(next) {
            next = Math.min(maxZoom, Math.max(1, next));
            var factor = next / zoom, middle = box.scrollLeft + box.clientWidth / 2;
            zoom = next;
            layout();
            box.scrollLeft = Math.max(0, middle * factor - box.clientWidth / 2);
          }
          document.getElementById('zoom-in').addEventListener('click', function () { setZoom(zoom * 2); });
          document.getElementById('zoom-out').addEventListener('click', function () { setZoom(zoom / 2); });
          document.getElementById('zoom-fit').addEventListener('click', function () { setZoom(1); });
          document.getElementById('zoom-steps').addEventListener('click', function () {
            var start = +svg.getAttribute('data-steps-start'), end = +svg.getAttribute('data-steps-end');
            var wanted = Math.pow(2, Math.floor(Math.log2(Math.max(1, total / Math.max(end - start, total / maxZoom) * (box.clientWidth - left - 48) / plot))));
            setZoom(wanted);
            box.scrollLeft = Math.max(0, start * plot * zoom / total - 8);
          });
          box.addEventListener('wheel', function (event) {
            if (!event.ctrlKey) return;
            event.preventDefault();
            setZoom(event.deltaY < 0 ? zoom * 2 : zoom / 2);
          }, {passive: false});
          layout();
          document.documentElement.setAttribute('data-ready', 'yes');
        })();
        """

    static let style = """
        :root { --passed: #2e8b4f; --failed: #c93535; --timeout: #d9770b; --error: #8a3cb0; --skipped: #9aa0a6;
                --ignored: #bf9b00; --setup: #7a8ca3; font-family: system-ui, sans-serif; color: #1f2328; }
        body { margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
        .sub { color: #57606a; font-size: 13px; margin: 0 0 12px; }
        .figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
        .figure { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; min-width: 110px; }
        .figure .value { font-size: 18px; font-weight: 600; } .figure .what { font-size: 12px; color: #57606a; }
        .badge { display: inline-block; border-radius: 10px; padding: 1px 8px; color: white; font-size: 12px; font-weight: 600; }
        .outcome { font-size: 14px; vertical-align: middle; margin-left: 8px; }
        .status-passed.badge, .badge.outcome-passed { background: var(--passed); }
        .status-failed.badge, .badge.outcome-failed { background: var(--failed); }
        .status-timeout.badge { background: var(--timeout); }
        .status-error.badge, .badge.outcome-error { background: var(--error); }
        .status-skipped.badge { background: var(--skipped); } .status-ignored.badge { background: var(--ignored); }
        .badge.outcome-interrupted { background: var(--timeout); }
        .why { border-left: 4px solid var(--failed); background: #fff5f5; padding: 8px 12px; margin: 8px 0; white-space: pre-wrap; }
        .targets { font-size: 13px; color: #57606a; margin: 4px 0; }
        .controls { margin: 6px 0; font-size: 13px; } .controls button { margin-right: 4px; }
        #timeline-box { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; }
        svg text { font-size: 11px; fill: #1f2328; } text.caption { font-size: 10px; fill: #1f2328; pointer-events: none; } .lane-name { font-weight: 600; font-size: 12px; }
        .lane-bg { fill: #f6f8fa; } .lane:nth-child(odd) .lane-bg { fill: #ffffff; }
        .grid { stroke: #e1e4e8; stroke-width: 1; } .tick { fill: #57606a; font-size: 10px; }
        rect.step { stroke: rgba(0,0,0,.25); stroke-width: .5; }
        rect.status-passed { fill: var(--passed); } rect.status-failed { fill: var(--failed); }
        rect.status-timeout { fill: var(--timeout); } rect.status-error { fill: var(--error); }
        rect.status-ignored { fill: var(--ignored); } rect.status-rescued { fill: var(--ignored); stroke-dasharray: 2 1; } rect.status-skipped { fill: var(--skipped); }
        .lane-console .lane-bg, .lane-agent .lane-bg { fill: #f5f2fc; } text.channel { fill: #6e40c9; font-size: 10px; } text.channel-failed { fill: var(--error); }
        rect.setup { fill: var(--setup); opacity: .55; } rect.setup-failed { fill: var(--error); opacity: .8; }
        line.event { stroke-width: 3; } line.taken { stroke: #1f4e9c; } line.not-taken { stroke: var(--timeout); stroke-dasharray: 3 2; }
        text.event-name { font-size: 10px; } text.not-taken { fill: #b35c00; font-style: italic; } .hidden { display: none; }
        .legend { font-size: 12px; color: #57606a; margin: 6px 0; } .legend span { margin-right: 12px; }
        .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; }
        th { text-align: left; border-bottom: 2px solid #d0d7de; padding: 4px 6px; }
        td { border-bottom: 1px solid #eaeef2; padding: 3px 6px; vertical-align: top; }
        tr.step-detail td { border-bottom: 1px solid #d0d7de; }
        tr.status-failed td, tr.status-timeout td, tr.status-error td { background: #fff5f5; }
        tr.event-row.not-taken td { background: #fff8ec; } span.not-taken { color: #b35c00; font-style: italic; }
        tr:target td { outline: 2px solid #1f4e9c; }
        td.place { color: #57606a; font-family: ui-monospace, monospace; font-size: 12px; }
        pre { margin: 2px 0 6px; padding: 6px 8px; background: #f6f8fa; border-radius: 4px; overflow-x: auto; font-size: 12px; }
        .json .label { font-size: 11px; color: #57606a; text-transform: uppercase; }
        .message { margin: 4px 0; white-space: pre-wrap; } .logged { margin: 4px 0; font-style: italic; }
        code { font-size: 12px; word-break: break-all; }
        """
}

/* drover's status page: polls /api/status, acts with POST /api/ACTION/NAME.
 * Everything from the server goes into the DOM as text (textContent),
 * never as HTML. */
"use strict";
(function () {
	const POLL_MS = 2000;
	const token = document.querySelector('meta[name="drover-token"]')
	    .content;
	const jobsEl = document.getElementById("jobs");
	const connEl = document.getElementById("conn");
	const msgEl = document.getElementById("msg");
	const filterEl = document.getElementById("filter");
	const cards = new Map();	/* name -> card */
	const SVG = "http://www.w3.org/2000/svg";

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function dur(ms) {
		if (ms === null || ms === undefined)
			return "-";
		if (ms < 1000)
			return ms + " ms";
		let s = Math.floor(ms / 1000);
		if (s < 60)
			return (ms / 1000).toFixed(s < 10 ? 1 : 0) + " s";
		const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24,
		    m = Math.floor(s / 60) % 60;
		s %= 60;
		if (d > 0)
			return d + "d " + h + "h";
		if (h > 0)
			return h + "h " + m + "m";
		return m + "m " + s + "s";
	}

	function ago(ms, now) {
		return ms ? dur(Math.max(0, now - ms)) + " ago" : "";
	}

	function say(text, bad) {
		msgEl.textContent = text;
		msgEl.className = bad ? "err" : "";
	}

	async function api(method, path) {
		const opt = { method: method, cache: "no-store",
		    credentials: "same-origin", headers: {} };
		if (method === "POST")
			opt.headers["X-Drover-Token"] = token;
		const r = await fetch(path, opt);
		let j = null;
		try {
			j = await r.json();
		} catch (e) {
			/* not JSON: an auth page, a proxy's error */
		}
		if (!r.ok)
			throw new Error((j && j.error) || r.status + " " +
			    r.statusText);
		return j;
	}

	async function act(card, what) {
		const label = what + " " + card.name;
		try {
			await api("POST", "api/" + what + "/" +
			    encodeURIComponent(card.name));
			say(label + ": done");
		} catch (e) {
			say(label + ": " + e.message, true);
		}
		poll(true);
	}

	function makeCard(name) {
		const c = { name: name, stream: "stdout", tailEnd: -1 };
		c.root = el("section", "job");
		c.root.dataset.name = name;
		const top = el("div", "top");
		c.title = el("h2", "name", name);
		c.kind = el("span", "kind");
		c.state = el("span", "state");
		top.append(c.title, c.kind, c.state);
		const facts = el("dl", "facts");
		c.f = {};
		for (const k of ["pid", "uptime", "last", "runs"]) {
			const d = el("div");
			c.f[k] = el("dd", k);
			d.append(el("dt", "", k), c.f[k]);
			facts.append(d);
		}
		c.spark = document.createElementNS(SVG, "svg");
		c.spark.setAttribute("class", "spark");
		c.spark.setAttribute("viewBox", "0 0 200 28");
		c.spark.setAttribute("preserveAspectRatio", "none");
		c.sparkNote = el("div", "spark-note", "no runs yet");
		const acts = el("div", "actions");
		c.btn = {};
		for (const a of ["start", "stop", "restart"]) {
			c.btn[a] = el("button", "", a[0].toUpperCase() +
			    a.slice(1));
			c.btn[a].dataset.act = a;
			c.btn[a].addEventListener("click", () => act(c, a));
			acts.append(c.btn[a]);
		}
		c.btn.output = el("button", "", "Output");
		c.btn.output.dataset.act = "output";
		c.btn.output.addEventListener("click", () => toggleTail(c));
		acts.append(c.btn.output);
		c.tail = el("div", "tail");
		c.tail.hidden = true;
		const tabs = el("div", "tabs");
		c.tabs = {};
		for (const s of ["stdout", "stderr"]) {
			c.tabs[s] = el("button", s === "stdout" ? "on" : "", s);
			c.tabs[s].addEventListener("click", () => {
				c.stream = s;
				c.tailEnd = -1;
				c.tabs.stdout.className = s === "stdout" ?
				    "on" : "";
				c.tabs.stderr.className = s === "stderr" ?
				    "on" : "";
				loadTail(c);
			});
			tabs.append(c.tabs[s]);
		}
		c.pre = el("pre", "out");
		c.tail.append(tabs, c.pre);
		c.root.append(top, facts, c.spark, c.sparkNote, acts, c.tail);
		return c;
	}

	function toggleTail(c) {
		c.tail.hidden = !c.tail.hidden;
		c.btn.output.className = c.tail.hidden ? "" : "on";
		if (!c.tail.hidden) {
			c.tailEnd = -1;
			loadTail(c);
		}
	}

	async function loadTail(c) {
		try {
			const t = await api("GET", "api/tail/" +
			    encodeURIComponent(c.name) + "?stream=" + c.stream);
			if (t.end === c.tailEnd)
				return;
			const atEnd = c.pre.scrollTop + c.pre.clientHeight >=
			    c.pre.scrollHeight - 4;
			c.tailEnd = t.end;
			c.pre.textContent = t.text === "" ? "(no output)" :
			    t.text;
			if (atEnd)
				c.pre.scrollTop = c.pre.scrollHeight;
		} catch (e) {
			c.pre.textContent = "(" + e.message + ")";
		}
	}

	function lastText(l) {
		if (!l)
			return "-";
		let s = l.result;
		if (l.signal !== null)
			s += " (signal " + l.signal + ")";
		else if (l.code !== null && l.result !== "ok")
			s += " (exit " + l.code + ")";
		return s;
	}

	function drawSpark(c, runs) {
		const svg = c.spark;
		while (svg.firstChild)
			svg.firstChild.remove();
		const had = runs.filter((r) => r.duration_ms !== null);
		svg.toggleAttribute("hidden", had.length === 0);
		c.sparkNote.hidden = had.length !== 0;
		if (had.length === 0)
			return;
		/* one slot per run kept (at least 10), the longest run full */
		const max = Math.max(1, ...had.map((r) => r.duration_ms));
		const w = 200 / Math.max(runs.length, 10);
		runs.forEach((r, i) => {
			const b = document.createElementNS(SVG, "rect");
			const h = r.duration_ms === null ? 2 :
			    Math.max(2, 28 * r.duration_ms / max);
			b.setAttribute("x", String(i * w));
			b.setAttribute("y", String(28 - h));
			b.setAttribute("width", String(Math.max(1, w - 2)));
			b.setAttribute("height", String(h));
			b.setAttribute("class", r.result === "ok" ? "" :
			    r.result === "cancelled" ? "none" : "bad");
			const tip = document.createElementNS(SVG, "title");
			tip.textContent = r.result + ", " + dur(r.duration_ms);
			b.append(tip);
			svg.append(b);
		});
	}

	function update(c, j, now) {
		const active = ["QUEUED", "STARTING", "RUNNING", "STOPPING",
		    "BACKOFF"].includes(j.state);
		const failed = j.last && j.last.result !== "ok" &&
		    j.last.result !== "cancelled";
		c.root.className = "job s-" + j.state +
		    (failed && !active ? " bad" : "");
		c.kind.textContent = j.kind + (j.group ? " in " + j.group : "");
		c.state.textContent = j.state;
		c.f.pid.textContent = j.pid === null ? "-" : String(j.pid);
		c.f.uptime.textContent = j.uptime_ms === null ? "-" :
		    dur(j.uptime_ms);
		c.f.last.textContent = lastText(j.last);
		c.f.last.className = "last" + (j.last ? " r-" + j.last.result :
		    "");
		c.f.last.title = j.last ? (j.last.note || "") + " " +
		    ago(j.last.end_ms, now) : "";
		const st = j.stats;
		c.f.runs.textContent = st.runs + (st.success_rate === null ?
		    "" : ", " + Math.round(st.success_rate * 100) + "% ok") +
		    (j.restarts ? ", " + j.restarts + " restarts" : "");
		drawSpark(c, j.runs);
		c.btn.start.textContent = j.kind === "service" ? "Start" :
		    "Run";
		c.btn.start.disabled = active && j.kind === "service";
		c.btn.stop.disabled = !active;
		c.tabs.stderr.hidden = !j.stderr;
		if (!c.tail.hidden)
			loadTail(c);
	}

	let timer = null, inflight = false, again = false;

	/* One poll at a time; an action asks for one soon after. */
	async function poll(soon) {
		if (inflight) {
			again = true;
			return;
		}
		inflight = true;
		clearTimeout(timer);
		try {
			const s = await api("GET", "api/status");
			render(s);
			connEl.textContent = "live";
			connEl.className = "conn live";
		} catch (e) {
			connEl.textContent = "disconnected: " + e.message;
			connEl.className = "conn down";
		}
		inflight = false;
		timer = setTimeout(poll, soon === true || again ? 400 : POLL_MS);
		again = false;
	}

	function render(s) {
		const seen = new Set();
		const count = {};
		document.getElementById("host").textContent = location.host +
		    " \u00b7 drover " + s.drover.version + ", pid " +
		    s.drover.pid + (s.drover.shutting_down ?
		    " \u00b7 shutting down" : "");
		s.jobs.forEach((j, i) => {
			let c = cards.get(j.name);
			if (!c) {
				c = makeCard(j.name);
				cards.set(j.name, c);
			}
			if (jobsEl.children[i] !== c.root)
				jobsEl.insertBefore(c.root,
				    jobsEl.children[i] || null);
			update(c, j, s.drover.now_ms);
			c.root.hidden = !j.name.toLowerCase().includes(
			    filterEl.value.trim().toLowerCase());
			seen.add(j.name);
			count[j.state] = (count[j.state] || 0) + 1;
		});
		for (const [name, c] of cards)
			if (!seen.has(name)) {
				c.root.remove();
				cards.delete(name);
			}
		document.getElementById("summary").textContent =
		    Object.keys(count).sort().map((k) => count[k] + " " +
		    k.toLowerCase()).join(", ");
	}

	filterEl.addEventListener("input", () => {
		const f = filterEl.value.trim().toLowerCase();
		for (const [name, c] of cards)
			c.root.hidden = !name.toLowerCase().includes(f);
	});
	poll();
})();

// lookalike web page: search the collection by an image (picked, dropped or
// pasted) and browse by "more like this". Plain JavaScript, no build step.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const el = {
    stats: $('stats'), drop: $('drop'), file: $('file'), queryImg: $('query-img'),
    caption: $('query-caption'), k: $('k'), tokenForm: $('token-form'), token: $('token'),
    results: $('results'), status: $('status'), error: $('error'), empty: $('empty'), grid: $('grid'),
    heading: $('results-h'),
  };

  const state = {
    token: sessionStorage.getItem('lookalike-token') || '',
    needsToken: false,
    last: null,      // the last query: {file} or {id, label}
    seq: 0,          // answers to older requests are dropped
    blobURLs: [],    // object URLs to revoke when the grid is replaced
    queryURL: null,
  };

  // api calls the JSON API and returns the decoded body, or throws an
  // Error carrying the server's message and the status.
  async function api(method, url, body) {
    const headers = {};
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    let res;
    try {
      res = await fetch(url, { method, body, headers });
    } catch (e) {
      throw new Error('The server cannot be reached. Is it still running?');
    }
    let data = null;
    if ((res.headers.get('Content-Type') || '').includes('application/json')) {
      data = await res.json().catch(() => null);
    }
    if (!res.ok) {
      const err = new Error((data && data.error) || `${res.status} ${res.statusText}`);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function setError(msg) {
    if (msg) msg = msg.charAt(0).toUpperCase() + msg.slice(1);
    el.error.textContent = msg || '';
    el.error.hidden = !msg;
  }

  function setBusy(busy, msg) {
    el.results.setAttribute('aria-busy', String(busy));
    el.results.classList.toggle('loading', busy);
    el.status.textContent = msg || '';
  }

  function needToken(err) {
    if (err.status !== 401) return false;
    el.tokenForm.hidden = false;
    el.token.focus();
    return true;
  }

  // setImage shows url in img: directly, or through an authorised fetch
  // when the server wants a token for reads.
  async function setImage(img, url) {
    if (!state.needsToken || !state.token) {
      img.src = url;
      return;
    }
    try {
      const res = await fetch(url, { headers: { Authorization: 'Bearer ' + state.token } });
      if (!res.ok) throw new Error(res.statusText);
      const u = URL.createObjectURL(await res.blob());
      state.blobURLs.push(u);
      img.src = u;
    } catch (e) {
      img.classList.add('broken');
    }
  }

  async function loadStats() {
    try {
      const s = await api('GET', '/api/stats');
      state.needsToken = s.search_needs_token;
      const n = s.images.toLocaleString();
      const fp = s.model.fingerprint.slice(0, 12);
      el.stats.textContent =
        `${n} image${s.images === 1 ? '' : 's'} · model ${s.model.name}, ${s.model.dim}-d (${fp}) · ${s.index.kind} index`;
      el.stats.title = `model fingerprint ${s.model.fingerprint}`;
      el.tokenForm.hidden = true;
      if (s.images === 0) {
        el.empty.textContent = 'The collection is empty: add images with POST /api/images (see the README).';
      }
    } catch (err) {
      if (needToken(err)) {
        state.needsToken = true;
        el.stats.textContent = 'This server needs an access token.';
        return;
      }
      el.stats.textContent = 'Collection unavailable: ' + err.message;
    }
  }

  function showQuery(src, caption) {
    el.queryImg.hidden = false;
    if (state.queryURL) URL.revokeObjectURL(state.queryURL);
    state.queryURL = src.startsWith('blob:') ? src : null;
    if (src.startsWith('blob:') || !state.needsToken) el.queryImg.src = src;
    else setImage(el.queryImg, src);
    el.queryImg.alt = caption;
    el.drop.classList.add('has-image');
    el.caption.textContent = caption;
  }

  function k() { return Number(el.k.value) || 10; }

  async function run(request, busyMsg) {
    const seq = ++state.seq;
    setError('');
    setBusy(true, busyMsg);
    try {
      const data = await request();
      if (seq !== state.seq) return;
      render(data);
      const ms = data.took_ms < 10 ? data.took_ms.toFixed(1) : Math.round(data.took_ms);
      setBusy(false, `${data.results.length} result${data.results.length === 1 ? '' : 's'} in ${ms} ms`);
    } catch (err) {
      if (seq !== state.seq) return;
      setBusy(false, '');
      // Results of an earlier query would read as answers to this one.
      for (const u of state.blobURLs) URL.revokeObjectURL(u);
      state.blobURLs = [];
      el.grid.replaceChildren();
      el.empty.hidden = true;
      if (needToken(err)) {
        setError('An access token is needed: enter it on the left, then search again.');
        return;
      }
      setError(err.message);
    }
  }

  function searchFile(file) {
    if (!file) return;
    state.last = { file };
    showQuery(URL.createObjectURL(file), `Your image${file.name ? ': ' + file.name : ''}`);
    const form = new FormData();
    form.append('image', file);
    run(() => api('POST', `/api/search?k=${k()}`, form), 'Searching…');
  }

  function searchID(id, label) {
    state.last = { id, label };
    showQuery(`/api/images/${id}/thumb`, `More like image #${id}${label ? ' (' + label + ')' : ''}`);
    run(() => api('POST', `/api/search/by-id/${id}?k=${k()}`), 'Finding more like it…');
  }

  function render(data) {
    for (const u of state.blobURLs) URL.revokeObjectURL(u);
    state.blobURLs = [];
    // Keep keyboard users in the grid when a result they clicked is replaced.
    const hadFocus = el.grid.contains(document.activeElement);
    el.grid.replaceChildren();
    el.empty.hidden = data.results.length > 0;
    if (data.results.length === 0) el.empty.textContent = 'No results: the collection is empty.';
    // With a calibrated model, matches and near misses are shown apart,
    // each under a heading saying what the threshold means.
    const m = data.match;
    const divider = (text, cls) => {
      const li = document.createElement('li');
      li.className = `divider ${cls}`;
      li.setAttribute('role', 'presentation');
      li.textContent = text;
      el.grid.append(li);
    };
    const nMatch = m ? data.results.filter((r) => r.match).length : 0;
    if (m && data.results.length > 0) {
      const at = `similarity ≥ ${m.threshold.toFixed(3)}, ${m.operating_point}: ${Math.round(m.precision * 100)}% of such results were true matches in calibration`;
      divider(nMatch > 0 ? `${nMatch} match${nMatch === 1 ? '' : 'es'} (${at})` : `No match (${at})`, 'matches');
    }
    data.results.forEach((r, i) => {
      if (m && i === nMatch && i < data.results.length) divider('Near misses: similar, but below the match threshold', 'misses');
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'result';
      if (m) b.classList.add(r.match ? 'is-match' : 'is-miss');
      b.dataset.id = String(r.id);
      const name = r.label || `image #${r.id}`;
      b.title = `${r.path} · similarity ${r.score.toFixed(3)} · click for more like this`;
      b.setAttribute('aria-label', `Result ${i + 1}: ${name}, similarity ${r.score.toFixed(2)}${m ? (r.match ? ', a match' : ', not a match') : ''}. More like this.`);

      const img = document.createElement('img');
      img.alt = `Result ${i + 1}: ${name}`;
      img.loading = 'lazy';
      img.decoding = 'async';
      img.width = 128;
      img.height = 128;
      setImage(img, r.thumb_url);

      const meta = document.createElement('span');
      meta.className = 'meta';
      const lab = document.createElement('span');
      lab.className = 'label';
      lab.textContent = name;
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = r.score.toFixed(3);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.setAttribute('aria-hidden', 'true');
      const fill = document.createElement('span');
      fill.style.setProperty('--w', `${Math.max(0, Math.min(1, r.score)) * 100}%`);
      bar.append(fill);
      const rank = document.createElement('span');
      rank.className = 'rank';
      rank.setAttribute('aria-hidden', 'true');
      rank.textContent = String(i + 1);
      meta.append(lab, score);
      b.append(rank, img, meta, bar);
      b.addEventListener('click', () => searchID(r.id, r.label));
      li.append(b);
      el.grid.append(li);
    });
    if (hadFocus) {
      const first = el.grid.querySelector('button');
      (first || el.heading).focus();
    }
  }

  // A query the browser cannot show either (not an image) keeps the
  // drop zone's prompt.
  el.queryImg.addEventListener('error', () => {
    el.queryImg.hidden = true;
    el.drop.classList.remove('has-image');
  });

  // Picking, dropping and pasting.
  el.drop.addEventListener('click', () => el.file.click());
  el.file.addEventListener('change', () => {
    searchFile(el.file.files[0]);
    el.file.value = '';
  });

  let dragDepth = 0;
  document.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes('Files')) return;
    dragDepth++;
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    if (--dragDepth <= 0) {
      dragDepth = 0;
      document.body.classList.remove('dragging');
    }
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    document.body.classList.remove('dragging');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) searchFile(f);
  });
  document.addEventListener('paste', (e) => {
    const items = e.clipboardData ? Array.from(e.clipboardData.items) : [];
    const item = items.find((it) => it.kind === 'file' && it.type.startsWith('image/'));
    if (item) {
      e.preventDefault();
      searchFile(item.getAsFile());
    }
  });

  el.k.addEventListener('change', () => {
    const q = state.last;
    if (!q) return;
    if (q.file) searchFile(q.file);
    else searchID(q.id, q.label);
  });

  el.tokenForm.addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = el.token.value.trim();
    sessionStorage.setItem('lookalike-token', state.token);
    el.token.value = '';
    loadStats();
  });

  loadStats();
})();

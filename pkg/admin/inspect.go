package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// debugConsumer serves the checker's state as JSON or as a small HTML page.
// ?format=json or ?format=html chooses; without it a browser (Accept:
// text/html) gets the page and anything else JSON. Any other format is
// refused with 400 naming the two.
func (s *Server) debugConsumer(w http.ResponseWriter, r *http.Request) {
	html, err := wantsHTML(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in, ok := s.checker.(Inspector)
	if !ok {
		http.Error(w, "no consumer state to show", http.StatusNotFound)
		return
	}
	state := in.Inspect()
	body, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		http.Error(w, "encode state: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if !html {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body) // the client went away; nothing to do
		return
	}
	// The page renders the same JSON as a generic table, so it never
	// drifts from the API.
	var generic map[string]any
	if err := json.Unmarshal(body, &generic); err != nil {
		http.Error(w, "decode state: "+err.Error(), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := statePage.Execute(&buf, generic); err != nil {
		http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// wantsHTML reads the format the request asks for. An explicit format wins
// over Accept, so the page's own "?format=json" link shows JSON in the
// browser that sends Accept: text/html.
func wantsHTML(r *http.Request) (bool, error) {
	switch format := r.URL.Query().Get("format"); format {
	case "json":
		return false, nil
	case "html":
		return true, nil
	case "":
		return strings.Contains(r.Header.Get("Accept"), "text/html"), nil
	default:
		return false, fmt.Errorf("format %q: must be json or html", format)
	}
}

var statePage = template.Must(template.New("state").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>consumer {{.group}}</title>
<style>body{font:14px sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee}.bad{background:#fdd}</style></head>
<body><h1>consumer group {{.group}}</h1>
<p>liveness: <b>{{.live}}</b>{{if .stopping}} — stopping{{end}}</p>
{{if .blocked}}<p>blocked (liveness stays green; a restart cannot help): <b>{{.blocked}}</b></p>{{end}}
<table><tr><th>topic</th><th>partition</th><th>handler</th><th>ordering</th><th>committed</th><th>high water</th><th>lag</th><th>in flight</th><th>window</th><th>oldest offset</th><th>oldest age s</th><th>commit held s</th><th>stalled</th><th>blocked</th><th>zombies</th><th>running calls (worker: offset, seconds)</th></tr>
{{range .partitions}}<tr{{if or .stalled .zombies .blocked .unusable}} class="bad"{{end}}><td>{{.topic}}</td><td>{{.partition}}</td><td>{{.handler}}</td><td>{{.ordering}}</td><td>{{.committed_offset}}</td><td>{{.high_water}}</td><td>{{.lag}}</td><td>{{.in_flight}}</td><td>{{.window_entries}}</td><td>{{.oldest_in_flight_offset}}</td><td>{{printf "%.1f" .oldest_in_flight_age_seconds}}</td><td>{{printf "%.1f" .held_seconds}}</td><td>{{.stalled}}{{with .unusable}} {{.}}{{end}}</td><td>{{with .blocked}}{{.reason}} at {{.offset}}: {{.error}}{{end}}</td><td>{{.zombies}}</td><td>{{range .running_calls}}{{.worker}}: {{.offset}}, {{printf "%.1f" .running_seconds}}{{if .zombie}} ZOMBIE{{end}}; {{end}}</td></tr>
{{end}}</table><p>JSON: <a href="?format=json">/debug/consumer</a></p></body></html>
`))

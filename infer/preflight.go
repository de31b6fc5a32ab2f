package infer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ErrPreflight marks an endpoint that failed the check made before a run:
// unreachable, answering an error, or not serving the model.
var ErrPreflight = errors.New("endpoint preflight failed")

// preflightTimeout bounds the check of one endpoint, so a dead port fails
// a run in seconds rather than after a minute of retries.
const preflightTimeout = 5 * time.Second

// Preflight asks every endpoint's /models once, without retries, and fails
// at once when one is unreachable or does not list the client's model.
func (c *Client) Preflight(ctx context.Context) error {
	for _, e := range c.endpoints {
		pctx, cancel := context.WithTimeout(ctx, preflightTimeout)
		models, err := c.listModels(pctx, e.url+"/models")
		cancel()
		if err != nil {
			ee := &EndpointError{URL: e.name, Err: scrub(err, e.secrets)}
			return fmt.Errorf("%w: %s: %v (is the server up? --no-preflight skips this check)", ErrPreflight, ee.Reason(), ee.Err)
		}
		if !slices.Contains(models, c.opts.Model) {
			return fmt.Errorf("%w: %s does not serve model %q (it serves: %s; check --model)", ErrPreflight, e.name, c.opts.Model, strings.Join(models, ", "))
		}
	}
	return nil
}

// listModels reads the ids of an OpenAI-compatible GET /models answer.
func (c *Client) listModels(ctx context.Context, url string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	c.authorize(req)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := readBounded(resp.Body, c.opts.MaxResponseBytes)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		return nil, statusError(resp.StatusCode, data)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%w: /models is not a model list: %v", errMalformedResponse, err)
	}
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	return ids, nil
}

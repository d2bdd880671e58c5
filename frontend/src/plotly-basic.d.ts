// plotly.js-basic-dist-min (scatter, bar and pie: all the dashboard draws, at a quarter of the
// full bundle's load time) ships no types; the full bundle's, a dev dependency, describe it.
declare module 'plotly.js-basic-dist-min' {
  import Plotly from 'plotly.js-dist-min';
  export default Plotly;
}

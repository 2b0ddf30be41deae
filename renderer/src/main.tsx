import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { connect } from './client/connect'
import { ClientProvider } from './client/context'
import { App } from './shell/App'
import './styles.css'

const root = createRoot(document.getElementById('root')!)
try {
  const client = connect()
  root.render(
    <StrictMode>
      <ClientProvider client={client}>
        <App />
      </ClientProvider>
    </StrictMode>,
  )
} catch (error) {
  root.render(
    <main className="fatal" role="alert">
      <h1>Orchard cannot reach its core</h1>
      <p>{(error as Error).message}</p>
    </main>,
  )
}
